/* The service worker, served at /sw.js (scope: the whole site) by lms/web/offline.py, which fills
   in VERSION (a hash of the static files and the offline pages) and PRECACHE.

   What it keeps:
   - fingerprinted static files (/static/...?v=<hash>): cache first, in "lms-static-<VERSION>";
   - the offline page, in English and in Urdu, in the same cache;
   - lesson pages (responses marked "LMS-Offline: lesson"), in "lms-lessons-<viewer>", where
     <viewer> is the opaque id the page's "LMS-Viewer" header names. A page is opened from the
     network whenever the network answers; the saved copy only when it does not.
   What it never keeps: any other page (dashboard, hours, certificates, staff pages), anything
   under /api/, any request that is not a GET.
   Whenever a page says that someone else, or nobody, is logged in, every other person's lesson
   cache is deleted before that page is shown. */
"use strict";

const VERSION = "__LMS_VERSION__";
const PRECACHE = __LMS_PRECACHE__;
const OFFLINE_PAGES = { en: "/offline?lang=en", ur: "/offline?lang=ur" };
const STATIC = "lms-static-" + VERSION;
const LESSONS = "lms-lessons-";
const STATE = "lms-state";
const STATE_URL = "/offline/state";
const HIDDEN_NOTICE = "data-offline-copy hidden";

let state = null; // { viewer: "<id>" or "", lang: "en" | "ur" }

async function readState() {
  if (state) return state;
  const saved = await caches.open(STATE).then((c) => c.match(STATE_URL));
  state = saved ? await saved.json() : { viewer: "", lang: "en" };
  return state;
}

async function writeState(next) {
  state = next;
  const cache = await caches.open(STATE);
  await cache.put(STATE_URL, new Response(JSON.stringify(next), {
    headers: { "Content-Type": "application/json" },
  }));
}

/* Learn from a page who is reading; when it is someone new (or nobody), delete every lesson
   cache but theirs first. */
async function noteViewer(response) {
  const viewer = response.headers.get("LMS-Viewer");
  if (viewer === null) return; // not one of the site's pages (or a redirect)
  const lang = response.headers.get("Content-Language") === "ur" ? "ur" : "en";
  const known = await readState();
  if (known.viewer !== viewer) {
    const names = await caches.keys();
    await Promise.all(names
      .filter((name) => name.startsWith(LESSONS) && name !== LESSONS + viewer)
      .map((name) => caches.delete(name)));
  }
  if (known.viewer !== viewer || known.lang !== lang) await writeState({ viewer, lang });
}

function isLesson(response) {
  return response.ok && response.type === "basic" && !response.redirected &&
    response.headers.get("LMS-Offline") === "lesson" && !!response.headers.get("LMS-Viewer");
}

async function keep(url, response) {
  const viewer = response.headers.get("LMS-Viewer");
  const known = await readState();
  if (viewer !== known.viewer) return; // someone else logged in meanwhile
  const cache = await caches.open(LESSONS + viewer);
  await cache.put(url, response);
}

function pageAddress(url) {
  const address = new URL(url);
  address.hash = "";
  return address.href;
}

/* A saved lesson, with its "you are offline" notice shown. */
async function savedCopy(request) {
  const known = await readState();
  if (!known.viewer || !(await caches.has(LESSONS + known.viewer))) return null;
  const cache = await caches.open(LESSONS + known.viewer);
  const hit = await cache.match(pageAddress(request.url), { ignoreVary: true });
  if (!hit) return null;
  const html = (await hit.text()).replace(HIDDEN_NOTICE, "data-offline-copy");
  const headers = new Headers(hit.headers);
  headers.delete("Content-Encoding");
  headers.delete("Content-Length");
  headers.set("LMS-Saved-Copy", "1");
  return new Response(html, { status: 200, headers });
}

async function offlinePage() {
  const known = await readState();
  const page = await caches.match(OFFLINE_PAGES[known.lang] || OFFLINE_PAGES.en, {
    cacheName: STATIC, ignoreVary: true,
  });
  return page || Response.error();
}

async function navigate(event) {
  let response;
  try {
    response = await fetch(event.request);
  } catch (offline) {
    return (await savedCopy(event.request)) || offlinePage();
  }
  await noteViewer(response); // before the page is shown
  if (isLesson(response)) {
    event.waitUntil(keep(pageAddress(event.request.url), response.clone()));
  }
  return response;
}

async function staticFile(request) {
  const cache = await caches.open(STATIC);
  const hit = await cache.match(request, { ignoreVary: true });
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok && response.type === "basic") await cache.put(request, response.clone());
  return response;
}

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(STATIC)
    .then((cache) => cache.addAll([...PRECACHE, OFFLINE_PAGES.en, OFFLINE_PAGES.ur]))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names
      .filter((name) => name.startsWith("lms-static-") && name !== STATIC)
      .map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return; // posts go to the network, untouched and never kept
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (url.pathname.startsWith("/static/")) {
    if (url.searchParams.has("v")) event.respondWith(staticFile(request));
    return;
  }
  if (request.mode === "navigate") event.respondWith(navigate(event));
});

/* "Save this module for offline reading" (offline.js): fetch each lesson and keep it, telling
   the page how far it got on the port it sent. */
async function save(urls, port) {
  let done = 0;
  let bytes = 0;
  let failed = 0;
  for (const url of urls) {
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      await noteViewer(response);
      if (isLesson(response)) {
        const body = await response.clone().arrayBuffer();
        bytes += body.byteLength;
        await keep(pageAddress(new URL(url, self.location.origin).href), response);
        done += 1;
      } else {
        failed += 1;
      }
    } catch (offline) {
      failed += 1;
    }
    port.postMessage({ done, failed, total: urls.length, bytes });
  }
  port.postMessage({ done, failed, total: urls.length, bytes, finished: true });
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "save" && Array.isArray(data.urls) && event.ports[0]) {
    const urls = data.urls.filter((u) => typeof u === "string" && u.startsWith("/courses/"));
    event.waitUntil(save(urls, event.ports[0]));
  } else if (data.type === "forget") {
    event.waitUntil(caches.keys().then((names) => Promise.all(names
      .filter((name) => name.startsWith(LESSONS)).map((name) => caches.delete(name))))
      .then(() => writeState({ viewer: "", lang: (state && state.lang) || "en" })));
  }
});
