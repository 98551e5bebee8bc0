// Archive search page behaviour (no inline scripts: the CSP forbids them).
(function () {
  "use strict";
  // A bad query answers 400 with an explanation: show it in place instead of dropping it.
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.xhr.status === 400 && e.detail.target && e.detail.target.id === "archive-results") {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });
  // "Export selected" is only enabled while at least one message is ticked.
  function updateExportButton() {
    var any = document.querySelector("input[name=ids][form=archive-export]:checked") !== null;
    document.querySelectorAll("[data-needs-selection]").forEach(function (b) { b.disabled = !any; });
  }
  document.addEventListener("change", function (e) {
    if (e.target && (e.target.name === "ids" || e.target.hasAttribute("data-select-all"))) updateExportButton();
  });
  function bind(root) {
    root.querySelectorAll("[data-select-all]").forEach(function (box) {
      if (box.dataset.bound) return;
      box.dataset.bound = "1";
      box.addEventListener("change", function () {
        document.querySelectorAll("input[name=ids][form=archive-export]").forEach(function (c) { c.checked = box.checked; });
        updateExportButton();
      });
    });
    root.querySelectorAll("select[data-autosubmit]").forEach(function (sel) {
      if (sel.dataset.bound) return;
      sel.dataset.bound = "1";
      // Another customer has other mailboxes and facets: load the whole page for it.
      sel.addEventListener("change", function () {
        window.location.assign("/archive/search/" + (sel.value ? "?customer=" + encodeURIComponent(sel.value) : ""));
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { bind(document); });
  document.addEventListener("htmx:load", function (e) { bind(e.target); });
})();
