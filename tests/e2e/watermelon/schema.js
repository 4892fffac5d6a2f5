'use strict'

// Fieldline's device schema (SPEC.md §6), as a WatermelonDB app would declare it.
// Ids are WatermelonDB's own `id` column (client-generated strings); every
// record also carries WatermelonDB's local `_status` / `_changed` columns.
// Timestamps are epoch milliseconds (number); decimals travel as strings;
// JSON blobs (certificates, unit_history) are strings holding JSON.

const { appSchema, tableSchema } = require('@nozbe/watermelondb/Schema')
const { schemaMigrations } = require('@nozbe/watermelondb/Schema/migrations')

const SCHEMA_VERSION = 1

const str = (name, extra = {}) => ({ name, type: 'string', ...extra })
const optStr = (name, extra = {}) => ({ name, type: 'string', isOptional: true, ...extra })
const num = (name, extra = {}) => ({ name, type: 'number', ...extra })
const optNum = (name, extra = {}) => ({ name, type: 'number', isOptional: true, ...extra })
const bool = (name, extra = {}) => ({ name, type: 'boolean', ...extra })

const schema = appSchema({
  version: SCHEMA_VERSION,
  tables: [
    tableSchema({
      name: 'tickets',
      columns: [
        str('ref'),
        str('summary'),
        optStr('description'),
        str('status'),
        optStr('priority'),
        optStr('type'),
        optStr('billing'),
        optStr('block_name'),
        optStr('unit_name'),
        optStr('address'),
        optStr('tenant_name'),
        optStr('tenant_phone'),
        optStr('access_notes'),
        optNum('deadline_at'),
        optStr('certificates'), // JSON string
        optStr('unit_history'), // JSON string
        num('created_at'),
        num('updated_at'),
      ],
    }),
    tableSchema({
      name: 'ticket_messages',
      columns: [
        str('ticket_id', { isIndexed: true }),
        str('body'),
        str('visibility'), // 'public' | 'team'
        optStr('author_id'),
        optStr('author_name'),
        optStr('author_role'),
        num('created_at'),
      ],
    }),
    tableSchema({
      name: 'time_entries',
      columns: [
        str('ticket_id', { isIndexed: true }),
        optNum('started_at'),
        optNum('ended_at'),
        num('minutes'),
        bool('chargeable'),
        optStr('note'),
        num('created_at'),
        optStr('contractor_id'),
      ],
    }),
    tableSchema({
      name: 'materials',
      columns: [
        str('ticket_id', { isIndexed: true }),
        str('description'),
        str('quantity'), // decimal as string
        optStr('unit'),
        optStr('unit_price'), // decimal as string
        bool('chargeable'),
        num('created_at'),
      ],
    }),
    tableSchema({
      name: 'delivery_notes',
      columns: [
        str('ticket_id', { isIndexed: true }),
        str('signed_by'),
        num('signed_at'),
        optStr('signature_attachment_id'),
        optStr('work_summary'),
        num('created_at'),
        optStr('number'),
        optStr('pdf_url'),
        optStr('content_sha256'),
      ],
    }),
    tableSchema({
      name: 'attachments',
      columns: [
        str('ticket_id', { isIndexed: true }),
        optStr('message_id'),
        str('filename'),
        str('content_type'),
        str('sha256'),
        num('size'),
        num('created_at'),
        bool('uploaded'),
      ],
    }),
  ],
})

// No migrations yet (schema version 1). WatermelonDB requires a migrations
// object on the adapter when `migrationsEnabledAtVersion` is passed to
// synchronize(); an empty list covers version 1.
const migrations = schemaMigrations({ migrations: [] })

const TABLES = schema.tables ? Object.keys(schema.tables) : []

module.exports = { schema, migrations, SCHEMA_VERSION, TABLES }
