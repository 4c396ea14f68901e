// Relative times ("3 hours ago") drawn in the browser: the server renders one absolute time, cheaply.
(function () {
  const units = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

  function relative(date) {
    const seconds = (date.getTime() - Date.now()) / 1000;
    for (const [unit, size] of units) {
      if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
    }
    return seconds < 0 ? "just now" : "in a moment";
  }

  function refresh(root) {
    root.querySelectorAll("time[data-relative]").forEach((el) => {
      const date = new Date(el.getAttribute("datetime"));
      if (isNaN(date)) return;
      if (!el.title) el.title = date.toLocaleString();
      el.textContent = relative(date);
    });
  }

  document.addEventListener("DOMContentLoaded", () => refresh(document));
  // No inline handlers (the Content-Security-Policy refuses them): buttons say what they do in data attributes
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-print]")) window.print();
  });
  document.addEventListener("htmx:afterSettle", (event) => refresh(event.target));
  setInterval(() => refresh(document), 60000);
})();
