// Training pages: the attempt timer (the server's deadline, shown counting down; it submits the
// attempt when time is up), the submit confirmation, the certificate's print button, the report's chart.
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  function startTimer(timer) {
    var left = parseInt(timer.getAttribute("data-seconds-left"), 10);
    var form = document.getElementById(timer.getAttribute("data-form"));
    if (isNaN(left)) { return; }
    // Count from the seconds the server gave, not the computer's clock (which may be wrong).
    var end = Date.now() + left * 1000;
    var sent = false;
    function tick() {
      var s = Math.max(0, Math.round((end - Date.now()) / 1000));
      timer.textContent = Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
      if (s <= 60) { timer.classList.remove("text-bg-warning"); timer.classList.add("text-bg-danger"); }
      if (s <= 1 && !sent && form) {
        sent = true;
        var finish = document.createElement("input");
        finish.type = "hidden";
        finish.name = "finish";
        finish.value = "1";
        form.appendChild(finish);
        form.submit();
        return;
      }
      window.setTimeout(tick, 500);
    }
    tick();
  }

  // portal.js draws charts when the page is ready, which can be before ECharts (loaded by this page's
  // head block, after portal.js) has run: draw any chart still empty once ECharts is here.
  function drawLateCharts() {
    if (!window.echarts) { return; }
    document.querySelectorAll(".js-chart").forEach(function (el) {
      if (window.echarts.getInstanceByDom(el)) { return; }
      var src = document.getElementById(el.getAttribute("data-source"));
      if (src) { window.echarts.init(el).setOption(JSON.parse(src.textContent)); }
    });
  }

  onReady(function () {
    drawLateCharts();
    var timer = document.getElementById("quiz-timer");
    if (timer) { startTimer(timer); }
    var finish = document.getElementById("finish-button");
    if (finish) {
      finish.addEventListener("click", function (ev) {
        var question = finish.getAttribute("data-confirm-text");
        if (question && !window.confirm(question)) { ev.preventDefault(); }
      });
    }
    document.querySelectorAll(".js-print").forEach(function (el) {
      el.addEventListener("click", function (ev) { ev.preventDefault(); window.print(); });
    });
  });
})();
