// Keyboard shortcuts. Single keys act only outside text fields, and can be turned off (in the help dialog, opened
// with "?" or the sidebar's "Keyboard shortcuts", or on the profile page): the choice is kept in localStorage.
// Lists: j/k move a selection over ticket rows (tr[data-ref]), Enter or o opens it, x ticks its checkbox (when the
// row has one). Ticket page: a acknowledges (the page's own Acknowledge button), c goes to the comment box, e edits.
// Anywhere: / searches, g then t goes to tickets, g then o to on call, ? shows the list.
(function () {
  const STORE = "supportdesk.shortcuts";
  const SELECTED = "is-selected";
  let selectedRef = null;
  let goPending = 0;

  function enabled() {
    try {
      return localStorage.getItem(STORE) !== "off";
    } catch (error) {
      return true;
    }
  }

  function setEnabled(on) {
    try {
      localStorage.setItem(STORE, on ? "on" : "off");
    } catch (error) {
      // private mode: the choice lasts for this page only
    }
    syncToggles();
  }

  function syncToggles() {
    document.querySelectorAll("[data-shortcuts-toggle]").forEach((box) => {
      box.checked = enabled();
    });
  }

  function typing(el) {
    return !!el && (el.isContentEditable || el.matches("input, textarea, select"));
  }

  function rows() {
    return Array.from(document.querySelectorAll("main table.tickets tbody tr[data-ref]"));
  }

  function select(row) {
    rows().forEach((r) => {
      r.classList.remove(SELECTED);
      r.removeAttribute("aria-current");
    });
    if (!row) return;
    row.classList.add(SELECTED);
    row.setAttribute("aria-current", "true");
    selectedRef = row.getAttribute("data-ref");
    const link = opener(row);
    if (link) link.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  // the ticket's own link (the row's first link may be a change-in-place pencil)
  function opener(row) {
    return row.querySelector(".col-title a[href]") || row.querySelector("a[href]");
  }

  function current() {
    return rows().find((r) => r.getAttribute("data-ref") === selectedRef) || null;
  }

  function move(step) {
    const all = rows();
    if (!all.length) return false;
    const index = all.indexOf(current());
    const next = index < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, index + step));
    select(all[next]);
    return true;
  }

  function clickFirst(selector) {
    const el = document.querySelector(selector);
    if (!el) return false;
    el.click();
    return true;
  }

  function help() {
    return document.getElementById("shortcuts-help");
  }

  function openHelp() {
    const dialog = help();
    if (!dialog || dialog.open) return false;
    syncToggles();
    dialog.showModal();
    return true;
  }

  function go(key) {
    const link = document.querySelector('[data-go="' + key + '"]');
    if (!link) return false;
    link.click();
    return true;
  }

  const keys = {
    j: () => move(1),
    k: () => move(-1),
    o: () => {
      const row = current();
      const link = row && opener(row);
      if (link) link.click();
      return !!link;
    },
    Enter: () => {
      const row = current();
      if (!row || document.activeElement !== document.body) return false; // a focused link opens by itself
      return keys.o();
    },
    x: () => {
      const row = current();
      const box = row && row.querySelector('input[type="checkbox"]');
      if (box) box.click();
      return !!box;
    },
    a: () => clickFirst('#ticket-actions button.action-acknowledge, [data-action="acknowledge"]'),
    c: () => {
      const box = document.getElementById("id_body");
      if (!box) return false;
      box.focus();
      box.scrollIntoView({ block: "center" });
      return true;
    },
    e: () => clickFirst('[data-shortcut="edit"]'),
    "/": () => {
      const search = document.querySelector('main input[type="search"], input[name="q"]');
      if (!search) return false;
      search.focus();
      search.select();
      return true;
    },
    "?": openHelp,
  };

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target) || !enabled() || (help() && help().open)) return;
    if (goPending && Date.now() - goPending < 1500) {
      goPending = 0;
      if (go(event.key)) event.preventDefault();
      return;
    }
    goPending = 0;
    if (event.key === "g") {
      goPending = Date.now();
      return;
    }
    const action = keys[event.key];
    if (action && action()) event.preventDefault();
  });

  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-shortcuts-help]")) {
      event.preventDefault();
      openHelp();
    } else if (event.target.closest("[data-dialog-close]")) {
      const dialog = event.target.closest("dialog");
      if (dialog) dialog.close();
    }
  });
  document.addEventListener("change", (event) => {
    if (event.target.matches("[data-shortcuts-toggle]")) setEnabled(event.target.checked);
  });
  // A live refresh or an htmx swap redraws the rows: the selection follows the ticket, not the position
  function reselect() {
    const row = current();
    if (row) {
      row.classList.add(SELECTED);
      row.setAttribute("aria-current", "true");
    }
  }
  document.addEventListener("live:swapped", reselect);
  document.addEventListener("htmx:afterSettle", () => {
    syncToggles();
    reselect();
  });
  document.addEventListener("DOMContentLoaded", syncToggles);
})();
