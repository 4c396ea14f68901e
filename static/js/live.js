// Live updates: an open ticket page or list refreshes when its tickets change, without a reload.
// The page holds one poller, <div data-live-url data-live-stamp>. Every 15 s, while the tab is visible, the script
// asks that URL with the stamp (header X-Live-Since): 204 while nothing changed (one indexed query on the server),
// else the page's fresh HTML, whose [data-live-region][id] parts replace the same parts here. A part where the person
// is typing, has ticked a box or opened a form is left alone, and the stamp kept, so it is retried at the next poll.
(function () {
  const PERIOD = 15000;
  let inFlight = false;

  function poller() {
    return document.querySelector("[data-live-url]");
  }

  function changedField(field) {
    if (field.type === "hidden" || field.type === "submit" || field.type === "button") return false;
    if (field.type === "checkbox" || field.type === "radio") return field.checked !== field.defaultChecked;
    if (field.tagName === "SELECT") {
      const options = Array.from(field.options);
      if (field.multiple) return options.some((o) => o.selected !== o.defaultSelected);
      // a single select with no option marked selected shows its first: that is not a change
      return options.length > 0 && field.selectedIndex !== Math.max(0, options.findIndex((o) => o.defaultSelected));
    }
    return field.value !== field.defaultValue;
  }

  function busy(region) {
    const active = document.activeElement;
    if (active && active !== document.body && region.contains(active) && active.matches("input, textarea, select, [contenteditable]")) return true;
    if (Array.from(region.querySelectorAll("input, textarea, select")).some(changedField)) return true;
    if (region.querySelector("details[open], #work-panel > *, dialog[open]")) return true;
    return false;
  }

  function announce(text) {
    const status = document.getElementById("live-status");
    if (status) status.textContent = text;
  }

  function apply(html) {
    const fresh = new DOMParser().parseFromString(html, "text/html");
    let kept = false;
    let swapped = 0;
    fresh.querySelectorAll("[data-live-region][id]").forEach((part) => {
      const old = document.getElementById(part.id);
      if (!old) return;
      if (busy(old)) {
        kept = true;
        return;
      }
      const node = document.importNode(part, true);
      old.replaceWith(node);
      if (window.htmx) window.htmx.process(node);
      node.dispatchEvent(new CustomEvent("live:swapped", { bubbles: true }));
      swapped += 1;
    });
    document.querySelectorAll("[data-live-region][id]").forEach((old) => {
      if (fresh.getElementById(old.id)) return;
      if (busy(old)) kept = true;
      else old.remove(); // gone from the fresh page (no action left to take, say)
    });
    const next = fresh.querySelector("[data-live-stamp]");
    const current = poller();
    if (!kept && next && current) current.setAttribute("data-live-stamp", next.getAttribute("data-live-stamp"));
    if (swapped) announce("Updated " + new Date().toLocaleTimeString());
  }

  async function poll() {
    const el = poller();
    if (!el || document.hidden || inFlight) return;
    inFlight = true;
    try {
      const response = await fetch(el.getAttribute("data-live-url"), {
        headers: { "X-Live-Since": el.getAttribute("data-live-stamp") || "" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.status === 200 && el.isConnected) apply(await response.text());
      else if (response.status === 404 || response.status === 403) el.removeAttribute("data-live-url"); // gone from sight
    } catch (error) {
      // offline or restarting: the next poll tries again
    } finally {
      inFlight = false;
    }
  }

  setInterval(poll, PERIOD);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) poll();
  });
  window.supportdeskLive = { poll: poll }; // for tests and the console
})();
