// The engineer's workspace on the ticket list and page: the bulk bar and the canned-reply picker.
// Event delegation on the document: the list's results and the picker are swapped in by htmx.
(function () {
  // Bulk bar: hidden until a ticket is ticked; the count; "select all on this page"; the fields each action needs
  function bulkRefresh() {
    const bar = document.querySelector("[data-bulk-bar]");
    if (!bar) return;
    const picks = Array.from(document.querySelectorAll("[data-bulk-pick]"));
    const ticked = picks.filter((box) => box.checked).length;
    bar.hidden = ticked === 0;
    const count = bar.querySelector("[data-bulk-count]");
    if (count) count.textContent = ticked === 1 ? "1 ticket selected" : `${ticked} tickets selected`;
    const all = document.querySelector("[data-bulk-all]");
    if (all) {
      all.checked = picks.length > 0 && ticked === picks.length;
      all.indeterminate = ticked > 0 && ticked < picks.length;
    }
    const action = bar.querySelector("[data-bulk-action]");
    bar.querySelectorAll("[data-bulk-for]").forEach((field) => {
      field.hidden = !action || field.getAttribute("data-bulk-for") !== action.value;
    });
  }

  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target.matches("[data-bulk-all]")) {
      document.querySelectorAll("[data-bulk-pick]").forEach((box) => { box.checked = target.checked; });
    }
    if (target.matches("[data-bulk-all], [data-bulk-pick], [data-bulk-action]")) bulkRefresh();
    if (target.matches("[data-canned-picker]")) insertReply(target);
  });
  document.addEventListener("DOMContentLoaded", bulkRefresh);
  document.addEventListener("htmx:afterSettle", bulkRefresh);

  // Canned replies: the server fills the placeholders; the text goes into the comment box as text, never markup
  async function insertReply(select) {
    const url = select.value;
    if (!url) return;
    const box = document.querySelector(select.getAttribute("data-target"));
    select.value = "";
    if (!box) return;
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) return;
    const reply = await response.json();
    const start = box.selectionStart ?? box.value.length;
    const end = box.selectionEnd ?? box.value.length;
    box.value = box.value.slice(0, start) + reply.body + box.value.slice(end);
    box.focus();
    box.selectionStart = box.selectionEnd = start + reply.body.length;
  }
})();
