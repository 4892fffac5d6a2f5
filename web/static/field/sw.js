// The field app's service worker: the app shell (this folder) works with no signal.
// Shell files are answered from the cache at once and refreshed in the background;
// a new build changes VERSION, which installs a fresh cache. The API is never cached.
const VERSION = 'fieldline-field-bd0c652be166aaf7'
const SHELL = ['./', 'app.js', 'app.css', 'brand.css', 'manifest.webmanifest', 'icon.svg', 'icon-192.png', 'icon-512.png']

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(VERSION)
      .then((cache) => cache.addAll(SHELL.map((path) => new Request(path, { cache: 'reload' }))))
      .then(() => self.skipWaiting()),
  )
})

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('fieldline-field-') && k !== VERSION).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  )
})

self.addEventListener('fetch', (event) => {
  const request = event.request
  const url = new URL(request.url)
  const scope = new URL(self.registration.scope)
  if (request.method !== 'GET' || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return
  const key = request.mode === 'navigate' ? scope.href : url.origin + url.pathname
  event.respondWith(
    caches.open(VERSION).then(async (cache) => {
      const hit = await cache.match(key)
      const fresh = fetch(request.mode === 'navigate' ? scope.href : request, { cache: 'no-cache' })
        .then((response) => {
          if (response.ok) cache.put(key, response.clone())
          return response
        })
        .catch(() => null)
      if (hit) {
        event.waitUntil(fresh)
        return hit
      }
      return (await fresh) || new Response('Offline', { status: 503, headers: { 'Content-Type': 'text/plain' } })
    }),
  )
})
