/* Reading time for the hours ledger: counts active seconds, queues them in IndexedDB as records
 * (owner, lesson, tab, seq, seconds) and sends them, also after the connection was lost. How, and
 * what the server credits: README, "Attendance hours". No rule of the server's is copied here. */
(function () {
  "use strict";
  var article = document.querySelector("[data-lesson]");
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!article || !meta || !window.fetch || !window.JSON || !window.Promise) { return; }

  var lesson = article.getAttribute("data-lesson");
  var owner = article.getAttribute("data-owner") || "";
  var every = (parseInt(article.getAttribute("data-heartbeat"), 10) || 30) * 1000;
  var idleAfter = (parseInt(article.getAttribute("data-idle"), 10) || 120) * 1000;
  var shown = document.querySelector("[data-credited]");
  var token = meta.getAttribute("content");
  var tab = Math.random().toString(36).slice(2, 12) + Date.now().toString(36);
  var seq = 0;
  var pendingMs = 0;
  var lastActivity = Date.now();
  var lastTick = Date.now();
  var mine = null; // this page's record not yet answered
  var inflight = ""; // the id of the record on its way
  var busy = false;
  var mem = {}; // the queue where IndexedDB is missing
  var written = new Promise(function (resolve) {
    try {
      var open = indexedDB.open("lms-reading", 1);
      open.onupgradeneeded = function () { open.result.createObjectStore("beats", { keyPath: "id" }); };
      open.onsuccess = function () { resolve(open.result); };
      open.onerror = open.onblocked = function () { resolve(null); };
    } catch (e) { resolve(null); }
  });
  var idb = written;

  function store(ops) { // [["put", record] | ["delete", id]], in one transaction
    ops.forEach(function (op) { if (op[0] === "put") { mem[op[1].id] = op[1]; } else { delete mem[op[1]]; } });
    written = written.then(function () { return idb; }).then(function (db) {
      if (!db) { return null; }
      return new Promise(function (done) {
        var tx = db.transaction("beats", "readwrite");
        ops.forEach(function (op) { tx.objectStore("beats")[op[0]](op[1]); });
        tx.oncomplete = tx.onerror = tx.onabort = function () { done(); };
      });
    });
    return written;
  }

  function all() {
    return written.then(function () { return idb; }).then(function (db) {
      if (!db) { return Object.keys(mem).map(function (k) { return mem[k]; }); }
      return new Promise(function (done) {
        var get = db.transaction("beats").objectStore("beats").getAll();
        get.onsuccess = function () { done(get.result); };
        get.onerror = function () { done([]); };
      });
    });
  }

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

  function stage() { // the seconds counted become (or join) this page's record
    tick();
    var s = Math.floor(pendingMs / 1000);
    if (s < 1) { return; }
    pendingMs -= s * 1000;
    seq += 1;
    var rec = { id: tab + ":" + seq, owner: owner, lesson: lesson, tab: tab, seq: seq, seconds: s, at: Date.now() };
    var ops = [["put", rec]];
    if (mine && mine.id !== inflight && !mine.beacon) { // still waiting: one catch-up
      rec.seconds += mine.seconds;
      rec.waited = true;
      ops.push(["delete", mine.id]);
    }
    mine = rec;
    store(ops);
  }

  function fields(rec) {
    return {
      lesson: rec.lesson, seconds: rec.seconds, seq: rec.seq, tab: rec.tab,
      owner: parseInt(rec.owner, 10) || undefined, catch_up: !!(rec.waited || rec.tab !== tab)
    };
  }

  function fresh() { // a token that went stale (a kept page, a new login) is fetched again
    return fetch("/api/csrf", { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      return r.ok ? r.json() : {};
    }).then(function (data) {
      var changed = typeof data.token === "string" && data.token !== token;
      if (changed) { token = data.token; meta.setAttribute("content", token); }
      return changed;
    });
  }

  var stop = null; // aborts the request on its way: a request caught by a lost connection may hang

  function post(rec, retried) {
    var ctl = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (ctl) { ctl.abort(); } }, Math.max(every, 5000));
    stop = ctl;
    return fetch("/api/heartbeat", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(fields(rec)),
      signal: ctl ? ctl.signal : undefined
    }).then(function (r) {
      clearTimeout(timer);
      if (r.status !== 400 || retried) { return r; }
      return fresh().then(function (changed) { return changed ? post(rec, true) : r; });
    });
  }

  function next(list) {
    var rec = list.shift();
    if (!rec) { return null; }
    inflight = rec.id;
    return post(rec, false).then(function (r) {
      if (r.status === 401 || r.status === 409 || r.status === 429 || r.status >= 500) {
        throw new Error("later"); // kept: logged out, another reader, or the server is busy
      }
      store([["delete", rec.id]]); // answered: credited, repeated or refused
      if (mine && mine.id === rec.id) { mine = null; }
      return r.ok && rec.lesson === lesson ? r.json() : null;
    }).then(function (data) {
      if (data && shown && typeof data.lesson_seconds === "number") {
        shown.textContent = String(Math.floor(data.lesson_seconds / 60));
      }
      return next(list);
    });
  }

  function send() {
    if (busy) { return; }
    busy = true;
    stage();
    all().then(function (list) {
      var total = {};
      list = list.filter(function (r) { return r.owner === owner; });
      list.forEach(function (r) { total[r.tab] = (total[r.tab] || 0) + r.seconds; });
      // the biggest first: after a gap only the first catch-up finds the gap on the learner's
      // clock; a tab's records in their order
      list.sort(function (a, b) {
        return total[b.tab] - total[a.tab] || (a.tab < b.tab ? -1 : a.tab > b.tab ? 1 : a.seq - b.seq);
      });
      return next(list);
    }).catch(function () {
      if (mine && mine.id === inflight) { mine.waited = true; }
    }).then(function () {
      busy = false;
      inflight = "";
    });
  }

  function hide() {
    stage();
    if (!mine || mine.beacon || !navigator.sendBeacon || !window.URLSearchParams) { return; }
    var body = new URLSearchParams();
    var f = fields(mine);
    Object.keys(f).forEach(function (k) { if (f[k] !== undefined) { body.append(k, String(f[k])); } });
    body.append("csrf_token", token);
    if (navigator.sendBeacon("/api/heartbeat", body)) {
      mine.beacon = true; // kept, and resent as it is: the answer says whether it arrived
      store([["put", mine]]);
    }
  }

  setInterval(tick, 1000);
  setInterval(send, every);
  window.addEventListener("online", send);
  window.addEventListener("offline", function () { if (stop) { stop.abort(); } });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { hide(); } else { send(); }
  });
  window.addEventListener("pagehide", hide);
  send(); // what this browser kept from earlier pages
})();
