// Citizen portal: progressive enhancements only; every form works without JavaScript.
(function () {
  "use strict";

  // After a failed submit, move focus to the error summary so that it is read out first.
  function focusErrorSummary() {
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
  }

  // A second click while the form is being sent does nothing (the server deduplicates anyway).
  function sendOnce() {
    document.querySelectorAll("form[data-send-once]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.dataset.sending === "true") {
          event.preventDefault();
          return;
        }
        form.dataset.sending = "true";
        form.querySelectorAll("button[type=submit]").forEach(function (button) {
          button.setAttribute("aria-busy", "true");
        });
      });
    });
  }

  // Coming back with the browser's Back button: the form can be sent again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-send-once]").forEach(function (form) {
      delete form.dataset.sending;
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.removeAttribute("aria-busy");
      });
    });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { focusErrorSummary(); sendOnce(); });
  } else {
    focusErrorSummary();
    sendOnce();
  }
})();
