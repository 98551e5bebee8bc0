// Kustos dashboard behaviour (no inline scripts: the Content-Security-Policy forbids them).
(function () {
  "use strict";
  function bind(root) {
    // Copy-to-clipboard buttons for secrets shown once (API tokens, TOTP secret).
    root.querySelectorAll("[data-copy]").forEach(function (btn) {
      if (btn.dataset.bound) return;
      btn.dataset.bound = "1";
      btn.addEventListener("click", function () {
        var target = document.getElementById(btn.dataset.copy);
        if (!target || !navigator.clipboard) return;
        navigator.clipboard.writeText(target.textContent.trim()).then(function () {
          btn.classList.add("copied");
          setTimeout(function () { btn.classList.remove("copied"); }, 1500);
        });
      });
    });
    // Flash messages can be dismissed.
    root.querySelectorAll(".flash [data-dismiss]").forEach(function (btn) {
      btn.addEventListener("click", function () { btn.closest(".flash").remove(); });
    });
    // Sidebar toggle on narrow screens.
    root.querySelectorAll("[data-toggle-nav]").forEach(function (btn) {
      btn.addEventListener("click", function () { document.body.classList.toggle("nav-open"); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { bind(document); });
  document.addEventListener("htmx:load", function (e) { bind(e.target); });
})();
