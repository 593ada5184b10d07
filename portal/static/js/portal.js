// Behaviour the pages need without inline script (the CSP forbids it).
(function () {
  "use strict";

  // Deferred scripts (ECharts in a page's head block, loaded after this one) have all run by
  // DOMContentLoaded, so wait for it unless the page is already complete.
  function onReady(fn) {
    if (document.readyState === "complete") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  // <select class="js-autosubmit"> sends its form when changed (the language switch, filters).
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el.classList && el.classList.contains("js-autosubmit") && el.form) {
      el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
    }
  });

  // <form data-confirm="…"> asks before it is sent.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      ev.preventDefault();
    }
  }, true);

  // Charts: <div class="js-chart" data-source="id"> (ECharts, when loaded). The id names a
  // <script type="application/json"> on a full page, or an element with a data-json attribute in a
  // fragment htmx brought (htmx does not insert script elements).
  function drawCharts(root) {
    if (!window.echarts) { return; }
    (root || document).querySelectorAll(".js-chart").forEach(function (el) {
      var src = document.getElementById(el.getAttribute("data-source"));
      if (!src) { return; }
      var option = JSON.parse(src.getAttribute("data-json") || src.textContent);
      var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el);
      chart.setOption(option);
    });
  }

  onReady(function () {
    drawCharts(document);
    // htmx:load fires on each piece of new content, also when it replaced its placeholder (outerHTML).
    document.body.addEventListener("htmx:load", function (ev) { drawCharts(ev.target); });
  });
})();
