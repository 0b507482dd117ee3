/* The quiz page on a dropping connection.
 *
 * Each answer is kept in this browser's localStorage as it is chosen, under the attempt's id (the
 * choices' ids are the attempt's own, so nothing kept here says which choice is right), and
 * filled in again when the page is loaded again. "Save answers" and "Submit answers" are sent by
 * fetch; when the connection is down the request waits here, with a message saying so, and is sent
 * when the connection is back: on `online`, on the timer, or when the page is next opened. Changed
 * answers are also saved to the server on the timer. Every request carries an idempotency key (the
 * page's own for a submission, a new one for each changed set of answers saved), so a request sent
 * twice is carried out once; the server's answer for a submission is the review's address. When the
 * server refuses a request, the ordinary form is sent, so that its page says why. Without
 * JavaScript the form works as it is.
 */
(function () {
  "use strict";
  var form = document.querySelector("form.quiz[data-attempt]");
  var status = document.querySelector(".quiz-status");
  if (!form || !status || !window.fetch || !window.URLSearchParams || !window.JSON || !window.FormData) { return; }

  var name = "lms-quiz:" + form.getAttribute("data-attempt");
  var keyField = form.elements.namedItem("request_key");
  var csrfField = form.elements.namedItem("csrf_token");
  var OWN = { csrf_token: 1, request_key: 1, action: 1 };
  var state = read();
  var busy = false;
  var again = false; // asked to send while a request was on its way

  function read() {
    try { return JSON.parse(localStorage.getItem(name)) || {}; } catch (e) { return {}; }
  }
  function write() {
    try { localStorage.setItem(name, JSON.stringify(state)); } catch (e) { /* full or disabled */ }
  }
  function forget() {
    state = {};
    try { localStorage.removeItem(name); } catch (e) { /* disabled */ }
  }
  function say(which) {
    status.textContent = which ? status.getAttribute("data-" + which) : "";
    status.hidden = !which;
  }
  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function answers() { // [[field, value], ...] as the form would send them
    var list = [];
    new FormData(form).forEach(function (value, field) {
      if (!OWN[field] && typeof value === "string") { list.push([field, value]); }
    });
    return list;
  }

  function restore(list) {
    var chosen = {};
    list.forEach(function (pair) { (chosen[pair[0]] = chosen[pair[0]] || []).push(pair[1]); });
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || OWN[el.name] || el.type === "submit") { return; }
      var values = chosen[el.name] || [];
      if (el.type === "radio" || el.type === "checkbox") {
        el.checked = values.indexOf(el.value) >= 0;
      } else if (el.tagName === "SELECT") {
        var option = Array.prototype.filter.call(el.options, function (o) { return o.value && values.indexOf(o.value) >= 0; })[0];
        el.value = option ? option.value : "";
      } else {
        el.value = values[0] || "";
      }
    });
  }

  function fresh() { // the page's CSRF token may be stale (a kept page, a new login)
    return fetch("/api/csrf", { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      return r.ok ? r.json() : {};
    }).then(function (data) {
      var changed = typeof data.token === "string" && data.token !== csrfField.value;
      if (changed) { csrfField.value = data.token; }
      return changed;
    });
  }

  function post(action, key, retried) {
    var body = new URLSearchParams();
    (state.answers || []).forEach(function (pair) { body.append(pair[0], pair[1]); });
    body.append("csrf_token", csrfField.value);
    body.append("request_key", key);
    body.append("action", action);
    return fetch(form.getAttribute("action"), {
      method: "POST", credentials: "same-origin", headers: { Accept: "application/json" }, body: body
    }).then(function (r) {
      if (r.status !== 400 || retried) { return r; }
      return fresh().then(function (changed) { return changed ? post(action, key, true) : r; });
    });
  }

  function native(action, key) { // the server refused: the ordinary form shows why
    restore(state.answers || []);
    keyField.value = key;
    var field = document.createElement("input");
    field.type = "hidden";
    field.name = "action";
    field.value = action;
    form.appendChild(field);
    forget();
    form.submit();
  }

  function send() {
    var action = state.submit ? "submit" : state.save ? "save" : "";
    if (busy) { again = true; }
    if (busy || !action) { return; }
    busy = true;
    var key = state.submit || state.save;
    post(action, key, false).then(function (r) {
      var json = (r.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (r.status >= 500 || r.status === 429) { throw new Error("later"); } // kept, sent later
      if (r.ok && !json) { // the session ended: the login page, then this page sends it
        window.location.assign(r.url);
      } else if (!r.ok) {
        native(action, key);
      } else if (action === "submit") {
        return r.json().then(function (data) { forget(); window.location.assign(data.url); });
      } else {
        if (state.save === key) { delete state.save; write(); }
        say("saved");
      }
      return null;
    }).catch(function () {
      say("queued"); // kept here; sent when the connection is back
    }).then(function () {
      busy = false;
      if (again) { again = false; send(); }
    });
  }

  function changed() {
    state.answers = answers();
    state.save = newKey(); // a new set of answers: a new save
    write();
  }

  form.addEventListener("change", changed);
  form.addEventListener("input", changed);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var submitter = event.submitter;
    state.answers = answers();
    if (submitter && submitter.value === "save") {
      state.save = state.save || newKey();
    } else {
      state.submit = state.submit || keyField.value;
    }
    write();
    say(navigator.onLine === false ? "queued" : "sending");
    send();
  });

  if (state.answers && (state.save || state.submit)) { // not sent yet: filled in again
    restore(state.answers);
    say(state.submit ? "queued" : "restored");
    send();
  }
  window.addEventListener("online", send);
  setInterval(send, parseInt(form.getAttribute("data-retry"), 10) * 1000 || 15000);
})();
