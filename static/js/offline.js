/* Every logged-in page: registers the worker (sw.js), keeps a lesson that came before it took
   control, forgets saved lessons on logout, data saver's "Show image". See README, "Offline". */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-show-image]");
    if (!link) { return; }
    event.preventDefault();
    var image = document.createElement("img");
    image.src = link.href;
    image.alt = link.getAttribute("data-alt") || "";
    link.parentNode.replaceChild(image, link);
  });
  if (!("serviceWorker" in navigator) || !window.caches || !window.MessageChannel) { return; }
  var worker = navigator.serviceWorker;

  worker.register("/sw.js", { scope: "/" }).then(function () {
    // a page the worker served has a workerStart; one that came straight from the network does not
    var timing = performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
    if (!document.querySelector("[data-lesson]") || (timing && timing.workerStart > 0)) { return; }
    return worker.ready.then(function (registration) {
      var channel = new MessageChannel();
      registration.active.postMessage({ type: "save", urls: [location.pathname] }, [channel.port2]);
    });
  }).catch(function () {});

  Array.prototype.forEach.call(document.querySelectorAll('form[action="/logout"]'), function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.forgotten) { return; }
      event.preventDefault();
      form.dataset.forgotten = "1";
      if (worker.controller) { worker.controller.postMessage({ type: "forget" }); }
      var send = function () { form.submit(); };
      caches.keys().then(function (names) {
        return Promise.all(names.filter(function (name) {
          return name.indexOf("lms-lessons-") === 0;
        }).map(function (name) { return caches.delete(name); }));
      }).then(send, send);
    });
  });
})();
