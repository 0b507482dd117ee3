/* Reading offline, on the few pages that offer it (offline.js does what every page needs):
 * - "Save this module for offline reading" on a course page, with its progress;
 * - the offline page's list of the lessons saved in this browser;
 * - the printable module's "Print" button.
 */
(function () {
  "use strict";
  var LESSONS = "lms-lessons-";

  function each(selector, fn) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), fn);
  }

  each("[data-print]", function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  if (!("serviceWorker" in navigator) || !window.caches || !window.MessageChannel) { return; }

  /* Ask the worker to fetch and keep these lessons; onProgress gets {done, failed, total, bytes}. */
  function save(urls, onProgress) {
    return navigator.serviceWorker.ready.then(function (registration) {
      return new Promise(function (resolve) {
        var channel = new MessageChannel();
        channel.port1.onmessage = function (event) {
          onProgress(event.data);
          if (event.data.finished) { resolve(event.data); }
        };
        registration.active.postMessage({ type: "save", urls: urls }, [channel.port2]);
      });
    });
  }

  function savedCount(urls) {
    return Promise.all(urls.map(function (url) {
      return caches.match(url, { ignoreVary: true }).then(function (hit) { return hit ? 1 : 0; });
    })).then(function (found) { return found.reduce(function (a, b) { return a + b; }, 0); });
  }

  function setUpSaveButton(box) {
    var urls = box.getAttribute("data-save-module").split(" ").filter(Boolean);
    var button = box.querySelector("button");
    var bar = box.querySelector("progress");
    var status = box.querySelector("[data-save-status]");
    box.hidden = false;
    savedCount(urls).then(function (count) {
      if (count === urls.length) { status.textContent = box.getAttribute("data-saved"); }
    });
    button.addEventListener("click", function () {
      button.disabled = true;
      bar.hidden = false;
      bar.value = 0;
      save(urls, function (p) {
        bar.value = p.done + p.failed;
        status.textContent = box.getAttribute("data-saving")
          .replace("{done}", p.done).replace("{total}", p.total);
        if (p.finished) {
          status.textContent = box.getAttribute(p.failed ? "data-failed" : "data-saved");
          button.disabled = false;
        }
      });
    });
  }

  function listSaved(box) {
    var list = box.querySelector("ul");
    var none = box.querySelector("[data-offline-none]");
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf(LESSONS) === 0;
      }).map(function (name) {
        return caches.open(name).then(function (cache) { return cache.keys(); });
      }));
    }).then(function (groups) {
      var requests = [].concat.apply([], groups);
      return Promise.all(requests.map(function (request) {
        return caches.match(request, { ignoreVary: true })
          .then(function (response) { return response.text(); })
          .then(function (html) {
            var page = new DOMParser().parseFromString(html, "text/html");
            var title = page.querySelector("h1");
            var meta = page.querySelector(".lesson .meta");
            var lesson = page.querySelector("[data-order]");
            var order = lesson ? ("000" + lesson.getAttribute("data-order")).slice(-4) : "";
            return { url: request.url, title: title ? title.textContent : request.url,
                     meta: meta ? meta.textContent : "",
                     key: request.url.replace(/\/[^/]*$/, "/") + order };
          });
      }));
    }).then(function (lessons) {
      lessons.sort(function (a, b) { return a.key < b.key ? -1 : 1; });
      lessons.forEach(function (lesson) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = lesson.url;
        link.textContent = lesson.title;
        link.dir = "auto";
        item.appendChild(link);
        if (lesson.meta) {
          var meta = document.createElement("span");
          meta.className = "meta";
          meta.textContent = " " + lesson.meta;
          item.appendChild(meta);
        }
        list.appendChild(item);
      });
      none.hidden = lessons.length > 0;
    });
  }

  each("[data-save-module]", setUpSaveButton);
  each("[data-offline-list]", listSaved);
})();
