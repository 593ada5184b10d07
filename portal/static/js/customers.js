// Customer log pages: htmx settles without inline styles; the log form shows call-only fields
// (duration, direction) only for phone calls.
(function () {
  "use strict";

  // htmx copies "settle" attributes from the old element to the new one with the same id; a browser
  // may have put an empty style="" on form fields (autofill), and setting it breaks the strict CSP.
  if (window.htmx) {
    window.htmx.config.attributesToSettle = ["class", "width", "height"];
  }

  function syncCallFields(root) {
    (root || document).querySelectorAll("#log-form").forEach(function (form) {
      var kind = form.querySelector("select[name='kind']");
      if (!kind) { return; }
      var isCall = kind.value === "call";
      form.querySelectorAll(".js-call-only").forEach(function (el) {
        el.classList.toggle("d-none", !isCall);
      });
    });
  }

  document.addEventListener("change", function (ev) {
    if (ev.target && ev.target.name === "kind" && ev.target.closest("#log-form")) {
      syncCallFields(document);
    }
  });

  function ready() {
    syncCallFields(document);
    document.body.addEventListener("htmx:afterSwap", function () { syncCallFields(document); });
  }

  if (document.readyState !== "loading") { ready(); } else { document.addEventListener("DOMContentLoaded", ready); }
})();
