// The device database: Fieldline's public device schema (SPEC §6, version 1) in
// WatermelonDB, stored in IndexedDB through the LokiJS adapter. The same schema as
// the Node client the sync end-to-end tests drive (tests/e2e/watermelon/schema.js).

import Database from '@nozbe/watermelondb/Database'
import Model from '@nozbe/watermelondb/Model'
import { appSchema, tableSchema } from '@nozbe/watermelondb/Schema'
import { schemaMigrations } from '@nozbe/watermelondb/Schema/migrations'
import LokiJSAdapter from '@nozbe/watermelondb/adapters/lokijs'

export const SCHEMA_VERSION = 1

const str = (name, extra = {}) => ({ name, type: 'string', ...extra })
const optStr = (name) => ({ name, type: 'string', isOptional: true })
const num = (name) => ({ name, type: 'number' })
const optNum = (name) => ({ name, type: 'number', isOptional: true })
const bool = (name) => ({ name, type: 'boolean' })
const ticketId = str('ticket_id', { isIndexed: true })

export const schema = appSchema({
  version: SCHEMA_VERSION,
  tables: [
    tableSchema({
      name: 'tickets',
      columns: [
        str('ref'), str('summary'), optStr('description'), str('status'), optStr('priority'),
        optStr('type'), optStr('billing'), optStr('block_name'), optStr('unit_name'),
        optStr('address'), optStr('tenant_name'), optStr('tenant_phone'), optStr('access_notes'),
        optNum('deadline_at'), optStr('certificates'), optStr('unit_history'),
        num('created_at'), num('updated_at'),
      ],
    }),
    tableSchema({
      name: 'ticket_messages',
      columns: [
        ticketId, str('body'), str('visibility'), optStr('author_id'), optStr('author_name'),
        optStr('author_role'), num('created_at'),
      ],
    }),
    tableSchema({
      name: 'time_entries',
      columns: [
        ticketId, optNum('started_at'), optNum('ended_at'), num('minutes'), bool('chargeable'),
        optStr('note'), num('created_at'), optStr('contractor_id'),
      ],
    }),
    tableSchema({
      name: 'materials',
      columns: [
        ticketId, str('description'), str('quantity'), optStr('unit'), optStr('unit_price'),
        bool('chargeable'), num('created_at'),
      ],
    }),
    tableSchema({
      name: 'delivery_notes',
      columns: [
        ticketId, str('signed_by'), num('signed_at'), optStr('signature_attachment_id'),
        optStr('work_summary'), num('created_at'), optStr('number'), optStr('pdf_url'),
        optStr('content_sha256'),
      ],
    }),
    tableSchema({
      name: 'attachments',
      columns: [
        ticketId, optStr('message_id'), str('filename'), str('content_type'), str('sha256'),
        num('size'), num('created_at'), bool('uploaded'),
      ],
    }),
  ],
})

export const CHILD_TABLES = ['ticket_messages', 'time_entries', 'materials', 'delivery_notes', 'attachments']
export const TABLES = ['tickets', ...CHILD_TABLES]

// Models without decorators: a `createdAt` getter makes WatermelonDB fill created_at
// on create, as a decorated model's `@readonly @date('created_at')` would.
function model(table, associations) {
  const Klass = class extends Model {}
  Klass.table = table
  Klass.associations = associations
  Object.defineProperty(Klass.prototype, 'createdAt', {
    get() {
      const v = this._getRaw('created_at')
      return v == null ? null : new Date(v)
    },
  })
  return Klass
}

const toTicket = { tickets: { type: 'belongs_to', key: 'ticket_id' } }
const modelClasses = [
  model(
    'tickets',
    Object.fromEntries(CHILD_TABLES.map((t) => [t, { type: 'has_many', foreignKey: 'ticket_id' }])),
  ),
  ...CHILD_TABLES.map((t) => model(t, toTicket)),
]

export function openDatabase(name = 'fieldline') {
  const adapter = new LokiJSAdapter({
    schema,
    migrations: schemaMigrations({ migrations: [] }),
    dbName: name,
    useWebWorker: false,
    useIncrementalIndexedDB: true,
    onQuotaExceededError: () => {
      window.dispatchEvent(new CustomEvent('fieldline:quota'))
    },
    onSetUpError: () => {
      window.dispatchEvent(new CustomEvent('fieldline:dberror'))
    },
  })
  return new Database({ adapter, modelClasses })
}

// LokiJS keeps the database in memory and writes IndexedDB on a 0.5 s autosave timer:
// an app closed within that half second would lose the last tap. The app saves at once
// after each change (the views wait for it before showing the change) and when the
// page is hidden. WatermelonDB 0.28 (pinned) does not expose its Loki instance, so it
// is reached through the adapter's synchronous worker; should that path change, the
// autosave timer still saves within 0.5 s.
function lokiOf(database) {
  try {
    const adapter = database.adapter.underlyingAdapter || database.adapter
    return adapter._dispatcher._worker._bridge.driver.loki || null
  } catch (e) {
    return null
  }
}

export function persist(database) {
  const loki = lokiOf(database)
  if (!loki) return Promise.resolve(false)
  return new Promise((resolve) => loki.saveDatabase((error) => resolve(!error)))
}

export function persistWhenHidden(database) {
  const now = () => persist(database)
  window.addEventListener('pagehide', now)
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') now()
  })
}
