// Comms pages: a form marked .js-once sends once (its buttons are disabled while it is sent);
// the server refuses a second copy too, so this is only a courtesy against double clicks.
(function () {
  "use strict";
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.classList || !form.classList.contains("js-once") || ev.defaultPrevented) { return; }
    if (form.dataset.sent === "1") { ev.preventDefault(); return; }
    form.dataset.sent = "1";
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  });
  // A thread page refreshes its conversation (new replies, read receipts) every minute and when
  // it is shown again, unless the person is typing a reply.
  function refreshConversation() {
    var box = document.getElementById("thread-conversation");
    if (!box || document.visibilityState !== "visible" || !window.htmx) { return; }
    var input = box.querySelector("textarea");
    if (input && (input.value || document.activeElement === input)) { return; }
    window.htmx.trigger(box, "comms:refresh");
  }
  document.addEventListener("visibilitychange", refreshConversation);
  window.setInterval(refreshConversation, 60000);
})();
