// The desk's service worker (registered by offline.js, served as /desk/offline/sw.js with the
// scope /desk): keeps a copy of the desk page and its scripts and styles, so the desk opens
// when it is reloaded with no connection. Everything else (scans, uploads) goes to the network
// as usual; the desk's own queue (IndexedDB) does the offline work.
"use strict";
var CACHE = "lending-desk-v1";
var FILES = ["/static/app.css", "/static/desk.css", "/static/desk.js", "/static/offline.js", "/static/forms.js"];

function keep(cache, key, response) {
  if (response.ok && !response.redirected && response.type === "basic") {
    return cache.put(key, response.clone());
  }
  return Promise.resolve();
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all([
      cache.addAll(FILES),
      fetch("/desk", { credentials: "same-origin" }).then(function (r) { return keep(cache, "/desk", r); }),
    ]);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  var desk = request.mode === "navigate" && url.pathname === "/desk";
  var file = FILES.indexOf(url.pathname) >= 0;
  if (!desk && !file) return;
  var key = desk ? "/desk" : url.pathname;
  event.respondWith(fetch(request).then(function (response) {
    // Only the plain desk (no patron on it) is kept.
    if (file || url.search === "") {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { return keep(cache, key, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(key).then(function (found) { return found || Response.error(); });
  }));
});
