// What the office resolved its own way: each conflict a push reports (`details`,
// docs/SYNC.md) is kept per job until the contractor dismisses it, and said in plain
// words with the office's values next to the phone's.

import { load, save } from './store.js'
import { STATUS, fmt, h } from './ui.js'

const THING = {
  time_entries: 'hours',
  materials: 'material',
  ticket_messages: 'message',
  attachments: 'photo',
  delivery_notes: 'delivery note',
  tickets: 'job',
}

const LABEL = {
  minutes: 'Time', started_at: 'Started', ended_at: 'Ended', chargeable: 'Chargeable', note: 'Note',
  description: 'Material', quantity: 'Quantity', unit: 'Unit', unit_price: 'Unit price',
  body: 'Message', visibility: 'Who sees it', signed_by: 'Signed by', signed_at: 'Signed at',
  signature_attachment_id: 'Signature', work_summary: 'Work done', filename: 'File name',
  content_type: 'File type', sha256: 'File', size: 'Size', message_id: 'Message', status: 'Status',
}

function value(column, v) {
  if (v == null || v === '') return 'none'
  if (column === 'minutes') return fmt.duration(Number(v))
  if (column.endsWith('_at')) return fmt.when(typeof v === 'number' ? v : Date.parse(v))
  if (column === 'chargeable') return v ? 'Yes' : 'No'
  if (column === 'unit_price') return fmt.money(v)
  if (column === 'visibility') return v === 'team' ? 'Team' : 'Public'
  if (column === 'status') return STATUS[v] || String(v)
  if (column === 'size') return `${Math.max(1, Math.round(Number(v) / 1024))} KB`
  if (column === 'sha256' || column.endsWith('_id')) return `…${String(v).slice(-6)}`
  return String(v)
}

// Stored as {ticketId: [conflict, ...]}; an older build kept one status conflict per job.
function stored() {
  const all = load('conflicts', {}) || {}
  for (const [id, entry] of Object.entries(all)) {
    if (!Array.isArray(entry)) {
      all[id] = entry && entry.wanted
        ? [{ key: `status_refused:tickets:${id}`, kind: 'status_refused', table: 'tickets', id, ticket_id: id, reason: '', office: { status: entry.got }, phone: { status: entry.wanted }, at: entry.at }]
        : []
    }
  }
  return all
}

// `jobs`: ticket id -> "ref summary", to name a job that has left the phone since.
export function remember(details, jobs = {}) {
  if (!details || !details.length) return
  const all = stored()
  for (const d of details) {
    const key = `${d.kind}:${d.table}:${d.id}`
    const list = (all[d.ticket_id] = all[d.ticket_id] || [])
    const entry = { ...d, key, job: jobs[d.ticket_id] || null, at: Date.now() }
    const index = list.findIndex((c) => c.key === key)
    if (index >= 0) list[index] = entry
    else list.push(entry)
  }
  save('conflicts', all)
}

export function forJob(ticketId) {
  return stored()[ticketId] || []
}

// Conflicts of jobs no longer on the phone (unassigned or closed meanwhile).
export function ofJobsGone(presentIds) {
  const present = new Set(presentIds)
  return Object.entries(stored()).flatMap(([id, list]) => (present.has(id) ? [] : list))
}

// Not dismissed yet, on every job: the status line's count.
export function count() {
  return Object.values(stored()).reduce((n, list) => n + list.length, 0)
}

export function dismiss(ticketId, key) {
  const all = stored()
  all[ticketId] = (all[ticketId] || []).filter((c) => c.key !== key)
  if (!all[ticketId].length) delete all[ticketId]
  save('conflicts', all)
}

function plainReason(reason) {
  const text = String(reason || '').trim().replace(/\.$/, '')
  if (/no longer assigned/.test(text)) return 'you are no longer assigned to it'
  return text ? text.charAt(0).toLowerCase() + text.slice(1) : ''
}

export function sentence(c) {
  const thing = THING[c.table] || 'record'
  const note = c.number ? `delivery note ${c.number}` : 'delivery note'
  switch (c.kind) {
    case 'status_refused': {
      const why = plainReason(c.reason)
      return `You set the job to “${value('status', c.phone.status)}”, but the office did not take it${why ? ` (${why})` : ''}. It is “${value('status', c.office.status)}” at the office.`
    }
    case 'edited_again':
      return `Your ${thing} reached the office twice with different details. The office keeps the version it received first.`
    case 'delete_refused':
      return `You deleted ${thing === 'hours' ? 'hours' : `a ${thing}`}, but the office keeps everything that was sent. It stays on the job.`
    case 'held_for_review':
      return `Your ${thing} reached the office after you were taken off this job. The office will check it before it counts.`
    case 'note_not_applied':
      return c.code === 'ticket_closed'
        ? `The office had already closed this job when your ${note} arrived. The note is kept; the job stays closed.`
        : `Your ${note} is kept, but the office could not act on it${c.reason ? `: ${plainReason(c.reason)}` : ''}.`
    default:
      return `The office kept its own version of your ${thing}.${c.reason ? ` ${c.reason}` : ''}`
  }
}

function comparison(c) {
  const columns = Object.keys({ ...c.office, ...c.phone })
  if (!columns.length || c.kind === 'status_refused') return null
  return h(
    'table',
    { class: 'compare' },
    h('thead', {}, h('tr', {}, h('td'), h('th', { scope: 'col' }, 'At the office'), h('th', { scope: 'col' }, 'On this phone'))),
    h('tbody', {}, columns.map((col) =>
      h('tr', {}, h('th', { scope: 'row' }, LABEL[col] || col), h('td', {}, value(col, c.office[col])), h('td', {}, value(col, c.phone[col]))))),
  )
}

// One notice; `named` adds the job (for the jobs list, when the job has left).
export function notice(c, onDismiss, named = false) {
  return h(
    'div',
    { class: 'notice notice-warn conflict', role: 'status' },
    h('p', {}, h('strong', {}, named && c.job ? `${c.job}: the office changed this. ` : 'The office changed this. '), sentence(c)),
    comparison(c),
    h('button', { type: 'button', class: 'link', onclick: () => { dismiss(c.ticket_id, c.key); onDismiss() } }, 'OK, got it'),
  )
}
