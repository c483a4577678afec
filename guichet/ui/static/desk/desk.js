// The agent desk's small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // After a refused form, move the focus to the error summary so that it is announced and the
  // links to the faulty fields are one Tab away.
  function focusErrorSummary(root) {
    var summary = (root || document).querySelector("#error-summary");
    if (summary) {
      summary.focus();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    focusErrorSummary(event.detail.target);
  });
})();
