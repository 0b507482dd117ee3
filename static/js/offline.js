/* Reading offline, on every logged-in page (the service worker is static/js/sw.js; the course
 * page's "save this module", the offline page's list and the print button are in
 * offline-pages.js, fetched only by those pages):
 * - registers the service worker;
 * - a lesson that reached the page without passing the worker (the first pages, before the
 *   worker took control) is kept all the same;
 * - logging out deletes the saved lessons before the form is sent;
 * - with the data saver, "Show image (N KB)" loads that one image in place.
 */
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
