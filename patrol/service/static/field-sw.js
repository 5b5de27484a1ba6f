// patrol field page: service worker. Keeps the page's files so it opens with no signal after the first load.
// The service fills in the version (a hash of the page's files): a new version installs a fresh cache and
// deletes the old one. Requests to /api/ are never touched: the page queues its writes itself.
"use strict";

const VERSION = "__SHELL_VERSION__";
const CACHE = "patrol-field-" + VERSION;
const SHELL = ["/field", "/static/field.js", "/static/field-alerts.js", "/static/field.css", "/static/leaflet/leaflet.js",
               "/static/leaflet/leaflet.css", "/field.webmanifest", "/static/field-icon.svg",
               "/static/field-activities.js", "/static/field-activities.css"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL.map((u) => new Request(u, {cache: "reload"}))))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith("patrol-field-") && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin || !SHELL.includes(url.pathname)) return;
  // the cached file first (instant on a weak signal); the network refreshes it for the next time
  event.respondWith(caches.open(CACHE).then(async (cache) => {
    const hit = await cache.match(url.pathname);
    const fresh = fetch(req).then((r) => { if (r.ok) cache.put(url.pathname, r.clone()); return r; });
    if (hit) { event.waitUntil(fresh.catch(() => undefined)); return hit; }
    return fresh;
  }));
});
