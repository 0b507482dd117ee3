// Forms marked data-once are sent once: a second click (a double click on "Import all rows") does
// nothing, so the page that answers is the first request's (with its one-time links). The server
// refuses a second import anyway (409); this only keeps the first answer on screen.
"use strict";
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.hasAttribute("data-once")) {
    return;
  }
  if (form.dataset.sent) {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "1";
  form.querySelectorAll("button[type=submit]").forEach(function (button) {
    button.setAttribute("aria-disabled", "true");
  });
});
