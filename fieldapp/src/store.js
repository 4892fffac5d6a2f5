// Small persistent state in localStorage: the device id, the tokens, sync status,
// a running timer. Everything the user did lives in the WatermelonDB database.

const PREFIX = 'fieldline.'

export function load(key, fallback = null) {
  try {
    const raw = localStorage.getItem(PREFIX + key)
    return raw == null ? fallback : JSON.parse(raw)
  } catch (e) {
    return fallback
  }
}

export function save(key, value) {
  if (value == null) localStorage.removeItem(PREFIX + key)
  else localStorage.setItem(PREFIX + key, JSON.stringify(value))
}

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID()
  const b = crypto.getRandomValues(new Uint8Array(16))
  b[6] = (b[6] & 0x0f) | 0x40
  b[8] = (b[8] & 0x3f) | 0x80
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

// The device id is generated once and kept: the server's device registry knows the
// phone by it. A new one is made only when the office revoked this one.
export function deviceId() {
  let id = load('deviceId')
  if (!id) {
    id = uuid()
    save('deviceId', id)
  }
  return id
}

export function newDeviceId() {
  const id = uuid()
  save('deviceId', id)
  return id
}

// Photo and signature bytes wait here (IndexedDB) until uploaded.
const FILES_DB = 'fieldline-files'

function filesDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(FILES_DB, 1)
    req.onupgradeneeded = () => req.result.createObjectStore('files')
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}

async function tx(mode, fn) {
  const db = await filesDb()
  return new Promise((resolve, reject) => {
    const t = db.transaction('files', mode)
    const result = fn(t.objectStore('files'))
    t.oncomplete = () => {
      db.close()
      resolve(result && 'result' in result ? result.result : undefined)
    }
    t.onerror = () => {
      db.close()
      reject(t.error)
    }
  })
}

export const files = {
  put: (id, value) => tx('readwrite', (s) => s.put(value, id)),
  get: (id) => tx('readonly', (s) => s.get(id)),
  remove: (id) => tx('readwrite', (s) => s.delete(id)),
  clear: () => tx('readwrite', (s) => s.clear()),
  all: () =>
    tx('readonly', (s) => {
      const out = []
      const req = s.openCursor()
      req.onsuccess = () => {
        const c = req.result
        if (c) {
          out.push({ id: c.key, ...c.value })
          c.continue()
        }
      }
      return { get result() { return out } }
    }),
}
