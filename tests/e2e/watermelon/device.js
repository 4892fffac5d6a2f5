#!/usr/bin/env node
'use strict'

// One Fieldline handheld device: a real WatermelonDB database (LokiJS, in
// memory) synced with WatermelonDB's own synchronize() against
// {base}/api/sync/pull and {base}/api/sync/push, exactly as the documented
// frontend pullChanges/pushChanges do it.
//
// Protocol: newline-delimited JSON commands on stdin, exactly one JSON line per
// command on stdout ({"ok": true, ...} or {"ok": false, "error": "..."}).
// Nothing else is ever written to stdout; all logging goes to stderr.
// A command may carry "seq": it is echoed back in its reply.
//
// Usage: node device.js --base-url http://127.0.0.1:PORT --token ACCESS_TOKEN [--name dev-1]
//   (or env FIELDLINE_BASE_URL / FIELDLINE_TOKEN / FIELDLINE_DEVICE_NAME)

// --- stdout is reserved for protocol replies --------------------------------
// WatermelonDB's logger (and anything else) uses console.log/debug, which would
// write to stdout: route every console method to stderr, and remember what was
// logged during the current command so replies can report WatermelonDB's own
// warnings/errors (e.g. "[Sync] Server wants client to create record ... but it
// already exists locally").
const util = require('util')

const DEVICE_NAME = argValue('--name') || process.env.FIELDLINE_DEVICE_NAME || 'device'
const protocolOut = process.stdout
let captured = null // array while a command runs

function logToStderr(level, args) {
  const text = util.format(...args)
  process.stderr.write(`[device ${DEVICE_NAME}] ${level}: ${text}\n`)
  if (captured && (level === 'warn' || level === 'error')) {
    captured.push({ level, message: text.split('\n')[0] })
  }
}
for (const level of ['log', 'info', 'debug', 'trace', 'warn', 'error']) {
  // eslint-disable-next-line no-console
  console[level] = (...args) => logToStderr(level === 'info' || level === 'trace' ? 'log' : level, args)
}

// --- config ------------------------------------------------------------------
function argValue(name) {
  const i = process.argv.indexOf(name)
  if (i !== -1 && i + 1 < process.argv.length) return process.argv[i + 1]
  const pref = `${name}=`
  const hit = process.argv.find((a) => a.startsWith(pref))
  return hit ? hit.slice(pref.length) : undefined
}

let baseUrl = (argValue('--base-url') || process.env.FIELDLINE_BASE_URL || '').replace(/\/+$/, '')
let token = argValue('--token') || process.env.FIELDLINE_TOKEN || ''
const FETCH_TIMEOUT_MS = Number(process.env.FIELDLINE_DEVICE_FETCH_TIMEOUT_MS || 25000)

if (!baseUrl) {
  process.stderr.write('device.js: --base-url (or FIELDLINE_BASE_URL) is required\n')
  process.exit(2)
}

// --- database ------------------------------------------------------------------
const { Database, Model } = require('@nozbe/watermelondb')
const LokiJSAdapter = require('@nozbe/watermelondb/adapters/lokijs').default
const { synchronize, hasUnsyncedChanges } = require('@nozbe/watermelondb/sync')
const { schema, migrations, TABLES } = require('./schema')

// Models without decorators. `createdAt` / `updatedAt` getters stand in for
// `@readonly @date('created_at') createdAt` / `@date('updated_at') updatedAt`:
// WatermelonDB checks `'createdAt' in record` to fill created_at on create and
// `'updatedAt' in record` to touch updated_at on every update, as a real app's
// models would.
function defineDateGetter(klass, prop, column) {
  Object.defineProperty(klass.prototype, prop, {
    get() {
      const v = this._getRaw(column)
      return v == null ? null : new Date(v)
    },
    configurable: true,
  })
}

const belongsToTicket = { tickets: { type: 'belongs_to', key: 'ticket_id' } }

class Ticket extends Model {}
Ticket.table = 'tickets'
Ticket.associations = {
  ticket_messages: { type: 'has_many', foreignKey: 'ticket_id' },
  time_entries: { type: 'has_many', foreignKey: 'ticket_id' },
  materials: { type: 'has_many', foreignKey: 'ticket_id' },
  delivery_notes: { type: 'has_many', foreignKey: 'ticket_id' },
  attachments: { type: 'has_many', foreignKey: 'ticket_id' },
}
defineDateGetter(Ticket, 'createdAt', 'created_at')
defineDateGetter(Ticket, 'updatedAt', 'updated_at')

class TicketMessage extends Model {}
TicketMessage.table = 'ticket_messages'
TicketMessage.associations = belongsToTicket
defineDateGetter(TicketMessage, 'createdAt', 'created_at')

class TimeEntry extends Model {}
TimeEntry.table = 'time_entries'
TimeEntry.associations = belongsToTicket
defineDateGetter(TimeEntry, 'createdAt', 'created_at')

class Material extends Model {}
Material.table = 'materials'
Material.associations = belongsToTicket
defineDateGetter(Material, 'createdAt', 'created_at')

class DeliveryNote extends Model {}
DeliveryNote.table = 'delivery_notes'
DeliveryNote.associations = belongsToTicket
defineDateGetter(DeliveryNote, 'createdAt', 'created_at')

class Attachment extends Model {}
Attachment.table = 'attachments'
Attachment.associations = belongsToTicket
defineDateGetter(Attachment, 'createdAt', 'created_at')

const adapter = new LokiJSAdapter({
  schema,
  migrations,
  dbName: `fieldline-${DEVICE_NAME}`,
  useWebWorker: false,
  useIncrementalIndexedDB: false,
  // No autosave: its interval timer would keep Node alive (and there is no
  // IndexedDB here anyway, so Loki runs on its in-memory adapter).
  extraLokiOptions: { autosave: false },
})

const database = new Database({
  adapter,
  modelClasses: [Ticket, TicketMessage, TimeEntry, Material, DeliveryNote, Attachment],
})

// --- sync ------------------------------------------------------------------------
class HttpError extends Error {
  constructor(what, status, body) {
    super(`${what} failed: HTTP ${status}: ${body}`)
    this.status = status
    this.body = body
  }
}

const LAST_PULLED_AT_KEY = '__watermelon_last_pulled_at'

async function runSync(cmd) {
  const dropPushResponse = !!cmd.drop_push_response
  const info = { pulls: [], pushes: [] }
  const authHeaders = () => (token ? { Authorization: `Bearer ${token}` } : {})

  // The documented frontend pullChanges, plus the bearer token.
  async function pullChanges({ lastPulledAt, schemaVersion, migration }) {
    const urlParams = `last_pulled_at=${lastPulledAt}&schema_version=${schemaVersion}&migration=${encodeURIComponent(
      JSON.stringify(migration),
    )}`
    const url = `${baseUrl}/api/sync/pull?${urlParams}`
    const response = await fetch(url, {
      headers: authHeaders(),
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    })
    if (!response.ok) {
      throw new HttpError('pull', response.status, await response.text())
    }
    const { changes, timestamp } = await response.json()
    info.pulls.push({ last_pulled_at: lastPulledAt, schema_version: schemaVersion, migration, timestamp })
    return { changes, timestamp }
  }

  // The documented frontend pushChanges: JSON.stringify(changes) as the body
  // and no explicit content type (fetch sends text/plain;charset=UTF-8).
  async function pushChanges({ changes, lastPulledAt }) {
    const body = JSON.stringify(changes)
    info.pushes.push({ last_pulled_at: lastPulledAt, changes: JSON.parse(body) })
    const response = await fetch(`${baseUrl}/api/sync/push?last_pulled_at=${lastPulledAt}`, {
      method: 'POST',
      headers: authHeaders(),
      body,
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    })
    if (!response.ok) {
      throw new HttpError('push', response.status, await response.text())
    }
    if (dropPushResponse) {
      await response.text().catch(() => {})
      info.push_response_dropped = true
      throw new Error('simulated network failure: push response dropped after the server received it')
    }
  }

  const log = {}
  try {
    await synchronize({
      database,
      pullChanges,
      pushChanges,
      migrationsEnabledAtVersion: 1,
      sendCreatedAsUpdated: !!cmd.send_created_as_updated,
      log,
    })
  } catch (e) {
    e.syncInfo = syncSummary(info, log)
    throw e
  }
  return syncSummary(info, log)
}

function syncSummary(info, log) {
  return {
    pulled: info.pulls[info.pulls.length - 1] || null,
    pushed: info.pushes.length ? info.pushes[info.pushes.length - 1].changes : null,
    push_last_pulled_at: info.pushes.length ? info.pushes[info.pushes.length - 1].last_pulled_at : null,
    push_response_dropped: !!info.push_response_dropped,
    log: {
      phase: log.phase,
      last_pulled_at: log.lastPulledAt === undefined ? null : log.lastPulledAt,
      new_last_pulled_at: log.newLastPulledAt === undefined ? null : log.newLastPulledAt,
      remote_change_count: log.remoteChangeCount === undefined ? null : log.remoteChangeCount,
      local_change_count: log.localChangeCount === undefined ? null : log.localChangeCount,
      resolved_conflicts: log.resolvedConflicts || [],
    },
  }
}

// --- local edits -----------------------------------------------------------------
function collectionFor(table) {
  if (!TABLES.includes(table)) {
    throw new Error(`unknown table ${JSON.stringify(table)} (known: ${TABLES.join(', ')})`)
  }
  return database.get(table)
}

function checkColumns(table, fields, allowId) {
  const columns = schema.tables[table].columns
  for (const key of Object.keys(fields)) {
    if (key === 'id' && allowId) continue
    if (key === 'id' || key === '_status' || key === '_changed') {
      throw new Error(`column ${key} cannot be set`)
    }
    if (!columns[key]) {
      throw new Error(`unknown column ${table}.${key}`)
    }
  }
}

async function createRecord(cmd) {
  const table = cmd.table
  const fields = cmd.fields || {}
  const collection = collectionFor(table)
  checkColumns(table, fields, true)
  if ('id' in fields && (typeof fields.id !== 'string' || !fields.id)) {
    throw new Error('id must be a non-empty string')
  }
  let record
  await database.write(async () => {
    if (fields.id) {
      const existing = await collection.query().fetch()
      if (existing.some((r) => r.id === fields.id)) {
        throw new Error(`${table}#${fields.id} already exists locally`)
      }
    }
    record = await collection.create((r) => {
      if (fields.id) r._raw.id = fields.id
      for (const [key, value] of Object.entries(fields)) {
        if (key !== 'id') r._setRaw(key, value)
      }
    })
  }, 'device-create')
  return { id: record.id, record: publicRaw(record._raw) }
}

async function findRecord(table, id) {
  const collection = collectionFor(table)
  if (typeof id !== 'string' || !id) throw new Error('id must be a non-empty string')
  try {
    return await collection.find(id)
  } catch (e) {
    throw new Error(`${table}#${id} not found locally`)
  }
}

async function updateRecord(cmd) {
  const fields = cmd.fields || {}
  checkColumns(cmd.table, fields, false)
  let record
  await database.write(async () => {
    record = await findRecord(cmd.table, cmd.id)
    await record.update((r) => {
      for (const [key, value] of Object.entries(fields)) r._setRaw(key, value)
    })
  }, 'device-update')
  return { id: record.id, record: publicRaw(record._raw) }
}

async function deleteRecord(cmd) {
  await database.write(async () => {
    const record = await findRecord(cmd.table, cmd.id)
    await record.markAsDeleted()
  }, 'device-delete')
  return { id: cmd.id }
}

function publicRaw(raw, withStatus) {
  const out = {}
  for (const key of Object.keys(raw).sort()) {
    if (!withStatus && (key === '_status' || key === '_changed')) continue
    out[key] = raw[key]
  }
  return out
}

async function dump(cmd) {
  const withStatus = !!cmd.with_status
  const tables = {}
  const pendingChanges = {}
  let pending = 0
  await database.read(async () => {
    for (const table of TABLES) {
      const collection = database.get(table)
      const records = await collection.query().fetch()
      const raws = records.map((r) => r._raw).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      tables[table] = raws.map((raw) => publicRaw(raw, withStatus))
      const created = raws.filter((r) => r._status === 'created').map((r) => r.id)
      const updated = raws.filter((r) => r._status === 'updated').map((r) => r.id)
      const deleted = (await database.adapter.getDeletedRecords(table)).slice().sort()
      const n = created.length + updated.length + deleted.length
      if (n) pendingChanges[table] = { created, updated, deleted }
      pending += n
    }
  }, 'device-dump')
  const lastPulledAtRaw = await database.adapter.getLocal(LAST_PULLED_AT_KEY)
  return {
    tables,
    pending,
    pending_changes: pendingChanges,
    has_unsynced_changes: await hasUnsyncedChanges({ database }),
    last_pulled_at: lastPulledAtRaw == null ? null : Number(lastPulledAtRaw),
  }
}

async function reset() {
  await database.write(() => database.unsafeResetDatabase(), 'device-reset')
  return {}
}

// --- command loop ----------------------------------------------------------------
let quitting = false

function reply(obj) {
  protocolOut.write(`${JSON.stringify(obj)}\n`)
}

async function handle(cmd) {
  switch (cmd.cmd) {
    case 'sync':
      return runSync(cmd)
    case 'create':
      return createRecord(cmd)
    case 'update':
      return updateRecord(cmd)
    case 'delete':
      return deleteRecord(cmd)
    case 'dump':
      return dump(cmd)
    case 'reset':
      return reset()
    case 'set_token':
      if (typeof cmd.token !== 'string') throw new Error('token must be a string')
      token = cmd.token
      return {}
    case 'set_base_url':
      if (typeof cmd.base_url !== 'string' || !cmd.base_url) throw new Error('base_url must be a string')
      baseUrl = cmd.base_url.replace(/\/+$/, '')
      return {}
    case 'ping':
      return { name: DEVICE_NAME }
    case 'quit':
      quitting = true
      return {}
    default:
      throw new Error(`unknown command ${JSON.stringify(cmd.cmd)}`)
  }
}

async function processLine(line) {
  if (!line.trim()) return
  let cmd
  try {
    cmd = JSON.parse(line)
    if (!cmd || typeof cmd !== 'object' || Array.isArray(cmd)) throw new Error('command must be a JSON object')
  } catch (e) {
    reply({ ok: false, error: `bad command: ${e.message}` })
    return
  }
  const seq = cmd.seq
  captured = []
  let out
  try {
    const result = (await handle(cmd)) || {}
    out = { ok: true, ...result }
  } catch (e) {
    process.stderr.write(`[device ${DEVICE_NAME}] command ${cmd.cmd} failed: ${(e && e.stack) || e}\n`)
    let error = String((e && e.message) || e)
    // fetch() reports network failures as "fetch failed" with the reason in `cause`
    if (e && e.cause) error += ` (${e.cause.code || e.cause.message || e.cause})`
    out = { ok: false, error }
    if (e && e.status !== undefined) out.status = e.status
    if (e && e.body !== undefined) out.body = e.body
    if (e && e.syncInfo) Object.assign(out, e.syncInfo)
  }
  out.warnings = captured
  captured = null
  if (seq !== undefined) out.seq = seq
  reply(out)
}

const readline = require('readline')

const rl = readline.createInterface({ input: process.stdin, terminal: false })
let chain = Promise.resolve()

function shutdown() {
  rl.close()
  process.stdin.pause()
  // Exit on our own once the event loop is empty (proving no timers/sockets
  // are left running). If something still holds it open after a grace
  // period, say so and exit with code 3 so the driver can tell.
  setTimeout(() => {
    process.stderr.write(`[device ${DEVICE_NAME}] event loop still busy after quit; forcing exit\n`)
    process.exit(3)
  }, Number(process.env.FIELDLINE_DEVICE_QUIT_GRACE_MS || 3000)).unref()
}

rl.on('line', (line) => {
  chain = chain.then(async () => {
    if (quitting) return
    await processLine(line)
    if (quitting) shutdown()
  })
})
rl.on('close', () => {
  // stdin closed (driver went away): finish queued commands, then exit.
  chain = chain.then(() => {
    if (!quitting) {
      quitting = true
      shutdown()
    }
  })
})

process.stderr.write(`[device ${DEVICE_NAME}] ready, base URL ${baseUrl}\n`)
