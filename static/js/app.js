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
    const toggle = event.target.closest("[data-nav-toggle]");
    if (toggle) {
      const open = toggle.closest(".sidebar").classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", String(open));
    }
  });
  // Phones: the list's filters start folded (a <details>, open without JavaScript) unless some are in use
  function foldFilters(root) {
    if (!window.matchMedia("(max-width: 900px)").matches) return;
    root.querySelectorAll("details.filters-fold[data-fold-small]").forEach((details) => {
      details.open = false;
      details.removeAttribute("data-fold-small");
    });
  }
  document.addEventListener("DOMContentLoaded", () => foldFilters(document));
  document.addEventListener("htmx:afterSettle", (event) => {
    refresh(event.target);
    foldFilters(event.target);
  });
  document.addEventListener("live:swapped", (event) => refresh(event.target));
  setInterval(() => refresh(document), 60000);
})();
