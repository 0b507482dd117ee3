// A job's page follows the job: it asks the JSON status every few seconds, moves the progress
// bar, and reloads the page (which then shows the result) once the job has finished. Without
// script, the page's "Refresh this page" link does the same by hand.
"use strict";
(function () {
  var section = document.querySelector("[data-job-status]");
  if (!section || !window.fetch) {
    return;
  }
  var url = section.getAttribute("data-job-status");
  var bar = section.querySelector("progress");
  var delay = 1000;

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (status) {
        if (status.finished) {
          window.location.assign(status.page);
          return;
        }
        if (bar && status.total) {
          bar.max = status.total;
          bar.value = status.done;
          bar.textContent = status.done + " / " + status.total;
        }
        delay = Math.min(delay * 1.5, 5000);
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 30000); // offline or the server is busy: ask less often
        window.setTimeout(poll, delay);
      });
  }
  window.setTimeout(poll, delay);
})();
