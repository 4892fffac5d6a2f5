// Sync with Fieldline: WatermelonDB's synchronize() against /api/sync/pull and
// /api/sync/push (docs/SYNC.md), then the waiting photo and signature bytes. Runs on
// start, when the phone comes back online, on "Sync now" / pull-to-refresh and every
// few minutes; one at a time; backs off on 503 + Retry-After and on lost connections.

import { synchronize, hasUnsyncedChanges } from '@nozbe/watermelondb/sync'
import * as Q from '@nozbe/watermelondb/QueryDescription'
import { AppError, auth, backoffRemaining, call, failure } from './api.js'
import * as conflicts from './conflicts.js'
import { CHILD_TABLES, SCHEMA_VERSION, TABLES, persist } from './db.js'
import { files, load, save } from './store.js'

const PERIOD_MS = 3 * 60 * 1000
const listeners = new Set()
let database = null
let running = null
let timer = null
let failures = 0

export const status = {
  syncing: false,
  pending: 0, // records not yet pushed
  pendingFiles: 0, // photos and signatures not yet uploaded
  lastSyncAt: load('lastSyncAt'),
  lastError: load('lastError'),
  lastErrorKind: null,
}

export function onStatus(fn) {
  listeners.add(fn)
  return () => listeners.delete(fn)
}

function emit() {
  for (const fn of listeners) fn(status)
}

export function init(db) {
  database = db
  window.addEventListener('online', () => syncNow('online'))
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && due()) syncNow('visible')
  })
  schedule(PERIOD_MS)
  return refreshCounts()
}

function due() {
  return !status.lastSyncAt || Date.now() - status.lastSyncAt > PERIOD_MS
}

function schedule(ms) {
  clearTimeout(timer)
  timer = setTimeout(() => syncNow('timer'), ms)
}

export async function refreshCounts() {
  let pending = 0
  for (const table of TABLES) {
    pending += await database.get(table).query(Q.where('_status', Q.notEq('synced'))).fetchCount()
    pending += (await database.adapter.getDeletedRecords(table)).length
  }
  const waiting = (await files.all()).filter((f) => !f.sent && !f.failed)
  status.pending = pending
  status.pendingFiles = waiting.length
  emit()
}

export function syncNow(reason = 'manual') {
  if (running) return running
  if (!auth.signedIn()) return Promise.resolve()
  running = run(reason).finally(() => {
    running = null
  })
  return running
}

async function run(reason) {
  status.syncing = true
  emit()
  const started = performance.now()
  try {
    const pushed = await syncOnce()
    const uploaded = await uploadFiles()
    // The server's echo of what was just pushed (numbers, PDF links, corrected status).
    if (pushed || uploaded) await syncOnce()
    await removeLeavingJobs()
    await forgetUploadedFiles()
    await persist(database)
    status.lastSyncAt = Date.now()
    status.lastError = null
    status.lastErrorKind = null
    failures = 0
    save('lastSyncAt', status.lastSyncAt)
    save('lastError', null)
    schedule(PERIOD_MS)
    performance.measure('fieldline:sync', { start: started, end: performance.now() })
  } catch (e) {
    const error = e instanceof AppError ? e : new AppError(plain(e))
    status.lastError = error.message
    status.lastErrorKind = error.kind
    save('lastError', error.message)
    failures += 1
    if (error.kind === 'busy') schedule(Math.max(backoffRemaining(), 1000))
    else if (error.kind === 'signed_out') clearTimeout(timer)
    else if (error.kind === 'offline' && !navigator.onLine) schedule(PERIOD_MS) // 'online' event wakes us
    else schedule(Math.min(5000 * 2 ** (failures - 1), PERIOD_MS)) // lost response: retry soon
  } finally {
    status.syncing = false
    await refreshCounts().catch(() => {})
    emit()
  }
}

function plain(e) {
  const text = String((e && e.message) || e || '')
  // WatermelonDB's own errors are for developers; say what it means for the user.
  if (/network|fetch/i.test(text)) return 'Could not reach Fieldline. Your work is saved on this phone.'
  return 'Sync did not finish. Your work is saved on this phone; it will be sent on the next try.'
}

// Jobs unassigned (or closed) while they still hold unsynced work stay until that work
// is pushed: their records, or the job's own status (the office then says whether it
// took it, see conflicts.js).
async function unsyncedWork(ticketId) {
  let n = await database
    .get('tickets')
    .query(Q.where('id', ticketId), Q.where('_status', Q.notEq('synced')))
    .fetchCount()
  for (const table of CHILD_TABLES) {
    n += await database
      .get(table)
      .query(Q.where('ticket_id', ticketId), Q.where('_status', Q.notEq('synced')))
      .fetchCount()
  }
  return n
}

async function syncOnce() {
  let pushed = false
  await synchronize({
    database,
    migrationsEnabledAtVersion: 1,
    pullChanges: async ({ lastPulledAt, schemaVersion, migration }) => {
      const query = new URLSearchParams({
        last_pulled_at: lastPulledAt == null ? '' : String(lastPulledAt),
        schema_version: String(schemaVersion || SCHEMA_VERSION),
        migration: JSON.stringify(migration || null),
      })
      const response = await call(`/api/sync/pull?${query}`)
      if (!response.ok) throw await failure(response, 'Getting your jobs')
      const { changes, timestamp } = await response.json()
      const leaving = new Set(load('leaving', []))
      const deleted = []
      for (const id of changes.tickets.deleted) {
        if (await unsyncedWork(id)) leaving.add(id)
        else deleted.push(id)
      }
      changes.tickets.deleted = deleted
      save('leaving', [...leaving])
      return { changes, timestamp }
    },
    pushChanges: async ({ changes, lastPulledAt }) => {
      const response = await call(`/api/sync/push?last_pulled_at=${lastPulledAt}`, {
        method: 'POST',
        body: JSON.stringify(changes),
      })
      if (!response.ok) throw await failure(response, 'Sending your work')
      const result = await response.json().catch(() => ({}))
      if (result.details && result.details.length) conflicts.remember(result.details, await jobNames(result.details))
      pushed = true
    },
  })
  return pushed
}

// "ref summary" of the jobs named, while they are still on the phone (a job the office
// closed or unassigned leaves it after this push).
async function jobNames(details) {
  const names = {}
  for (const id of new Set(details.map((d) => d.ticket_id))) {
    const [ticket] = await database.get('tickets').query(Q.where('id', id)).fetch()
    if (ticket) names[id] = `${ticket._raw.ref} ${ticket._raw.summary}`
  }
  return names
}

async function uploadFiles() {
  let uploaded = false
  for (const file of await files.all()) {
    if (file.sent || file.failed) continue
    const response = await call(`/api/sync/attachments/${encodeURIComponent(file.id)}`, {
      method: 'PUT',
      headers: { 'Content-Type': file.type, 'Content-Digest': `sha-256=:${file.digest}:` },
      body: file.bytes,
    })
    if (response.ok) {
      await files.put(file.id, { ...stripId(file), sent: Date.now() })
      uploaded = true
    } else if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
      // The server will never take these bytes (damaged, too large): say so, keep them.
      const error = await failure(response, `Uploading ${file.name || 'a file'}`)
      await files.put(file.id, { ...stripId(file), failed: error.message })
    } else {
      throw await failure(response, 'Uploading photos')
    }
  }
  return uploaded
}

function stripId(file) {
  const { id, ...rest } = file
  return rest
}

async function removeLeavingJobs() {
  const leaving = load('leaving', [])
  if (!leaving.length) return
  const still = []
  for (const id of leaving) {
    if (await unsyncedWork(id)) {
      still.push(id)
      continue
    }
    await database.write(async () => {
      const doomed = []
      for (const table of CHILD_TABLES) {
        doomed.push(...(await database.get(table).query(Q.where('ticket_id', id)).fetch()))
      }
      doomed.push(...(await database.get('tickets').query(Q.where('id', id)).fetch()))
      await database.batch(...doomed.map((r) => r.prepareDestroyPermanently()))
    }, 'remove-unassigned-job')
  }
  save('leaving', still)
}

// Bytes already on the server whose record left the phone (its job left) go too.
async function forgetUploadedFiles() {
  for (const file of await files.all()) {
    if (!file.sent) continue
    const kept = await database.get('attachments').query(Q.where('id', file.id)).fetchCount()
    if (!kept) await files.remove(file.id)
  }
}

export async function hasUnsynced() {
  const waiting = (await files.all()).filter((f) => !f.sent && !f.failed)
  return waiting.length > 0 || (await hasUnsyncedChanges({ database }))
}
