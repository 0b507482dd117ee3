/* Reading time for the hours ledger (DESIGN.md §2, Attendance hours).
 *
 * Counts seconds while this page is visible and the reader has scrolled, typed, touched or moved
 * the pointer in the last couple of minutes. About every 30 seconds it sends the seconds not yet
 * acknowledged. If the connection drops it keeps counting and sends the total, marked as a
 * catch-up, once a request goes through again. The server decides what is credited.
 */
(function () {
  "use strict";
  var article = document.querySelector("[data-lesson]");
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!article || !meta || !window.fetch || !window.JSON) { return; }

  var lesson = article.getAttribute("data-lesson");
  var every = (parseInt(article.getAttribute("data-heartbeat"), 10) || 30) * 1000;
  var idleAfter = (parseInt(article.getAttribute("data-idle"), 10) || 120) * 1000;
  var shown = document.querySelector("[data-credited]");
  var tab = Math.random().toString(36).slice(2, 12) + Date.now().toString(36);
  var seq = 0;
  var pendingMs = 0;
  var lastActivity = Date.now();
  var lastTick = Date.now();
  var sending = false;
  var failed = false;

  function active() { lastActivity = Date.now(); }
  ["scroll", "keydown", "touchstart", "pointermove", "pointerdown", "wheel"].forEach(function (name) {
    window.addEventListener(name, active, { passive: true });
  });

  function tick() {
    var now = Date.now();
    var delta = Math.min(now - lastTick, 5000); // a sleeping phone does not count
    lastTick = now;
    if (document.visibilityState === "visible" && now - lastActivity < idleAfter) {
      pendingMs += delta;
    }
  }

  function show(data) {
    if (shown && typeof data.lesson_seconds === "number") {
      shown.textContent = String(Math.floor(data.lesson_seconds / 60));
    }
  }

  function send(keepalive) {
    var seconds = Math.floor(pendingMs / 1000);
    if (sending || seconds < 1) { return; }
    sending = true;
    seq += 1;
    var body = JSON.stringify({
      lesson: lesson, seconds: seconds, seq: seq, tab: tab, catch_up: failed
    });
    fetch("/api/heartbeat", {
      method: "POST",
      credentials: "same-origin",
      keepalive: !!keepalive,
      headers: { "Content-Type": "application/json", "X-CSRFToken": meta.getAttribute("content") },
      body: body
    }).then(function (response) {
      if (response.status >= 400 && response.status < 500) {
        pendingMs = Math.max(0, pendingMs - seconds * 1000); // refused: do not resend it forever
        failed = false;
        return null;
      }
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (data) {
      if (data) {
        pendingMs = Math.max(0, pendingMs - seconds * 1000);
        failed = false;
        show(data);
      }
    }).catch(function () {
      failed = true; // keep counting; the total goes with the next request that gets through
    }).then(function () {
      sending = false;
    });
  }

  setInterval(tick, 1000);
  setInterval(function () { send(false); }, every);
  window.addEventListener("online", function () { send(false); });
  document.addEventListener("visibilitychange", function () {
    tick();
    if (document.visibilityState === "hidden") { send(true); }
  });
  window.addEventListener("pagehide", function () { tick(); send(true); });
})();
