// Fetches the live region every two seconds and swaps it in, so the page
// follows the cluster without a reload. Without JavaScript the page is
// complete and a <noscript> refresh reloads it instead.
(function () {
  "use strict";
  var live = document.getElementById("live");
  var updated = document.getElementById("updated");
  var trouble = document.getElementById("trouble");
  var pause = document.getElementById("pause");
  if (!live || !window.fetch) return;
  var paused = false, failing = false;
  pause.hidden = false;
  pause.addEventListener("click", function () {
    paused = !paused;
    pause.setAttribute("aria-pressed", String(paused));
    pause.textContent = paused ? "Resume updates" : "Pause updates";
  });
  function fail(err) {
    if (!failing) trouble.textContent = err.login
      ? "The login has ended: reload the page to log in again. Showing what the node said last."
      : "Cannot reach this node (" + (err.message || "network error") + "): showing what it said last.";
    failing = true;
  }
  function tick() {
    if (paused || document.hidden) return later();
    fetch(live.dataset.src, { cache: "no-store", credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 401) throw Object.assign(new Error("HTTP 401"), { login: true });
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.text();
      })
      .then(function (html) {
        live.innerHTML = html;
        var asOf = live.querySelector("[data-generated]");
        updated.textContent = "Live · as of " + (asOf ? asOf.dataset.generated : new Date().toUTCString());
        if (failing) trouble.textContent = "";
        failing = false;
      }, fail)
      .then(later);
  }
  function later() { setTimeout(tick, 2000); }
  later();
})();
