// The sandbox phone page reloads itself when a message arrives or a button changed something, but not while
// someone is typing in one of its forms.
(function () {
  "use strict";
  var shown = document.body.dataset.version;
  function busy() {
    var active = document.activeElement;
    return active !== null && active.tagName === "INPUT";
  }
  function check() {
    fetch("/phone/version.json", { cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (String(answer.version) !== shown && !busy()) {
          window.location.reload();
        }
      })
      .catch(function () { /* the sandbox restarting: try again at the next tick */ });
  }
  window.setInterval(check, 2000);
})();
