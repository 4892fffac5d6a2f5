// Tiny DOM helpers (no framework): h('tag', {attrs}, ...children), formatting.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value == null || value === false) continue
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value)
    else if (key === 'class') el.className = value
    else if (key === 'text') el.textContent = value
    else if (key in el && key !== 'list' && key !== 'form' && typeof value !== 'string') el[key] = value
    else el.setAttribute(key, value === true ? '' : value)
  }
  append(el, children)
  return el
}

function append(el, children) {
  for (const child of children) {
    if (child == null || child === false) continue
    if (Array.isArray(child)) append(el, child)
    else el.append(child instanceof Node ? child : String(child))
  }
}

export function replace(el, ...children) {
  el.replaceChildren()
  append(el, children)
  return el
}

const dateTime = new Intl.DateTimeFormat('en-GB', {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
})
const dateOnly = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric' })

export const fmt = {
  when: (ms) => (ms == null ? '' : dateTime.format(new Date(ms)).replace(/,? (\d\d:\d\d)$/, ', $1')),
  date: (value) => (value ? dateOnly.format(new Date(value)) : ''),
  ago(ms, now = Date.now()) {
    if (ms == null) return 'never'
    const s = Math.round((now - ms) / 1000)
    if (s < 45) return 'just now'
    if (s < 90 * 60) return `${Math.round(s / 60)} min ago`
    if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`
    return `${Math.round(s / 86400)} days ago`
  },
  duration(minutes) {
    const m = Math.round(minutes)
    const hrs = Math.floor(m / 60)
    return hrs ? `${hrs} h ${String(m % 60).padStart(2, '0')} min` : `${m} min`
  },
  money(value) {
    if (value == null || value === '') return ''
    const n = Number(value)
    return Number.isFinite(n)
      ? `£${n.toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`
      : ''
  },
}

export const STATUS = { new: 'New', open: 'Open', on_hold: 'On hold', resolved: 'Resolved', closed: 'Closed' }
export const PRIORITY = { critical: 'Critical', high: 'High', normal: 'Normal', low: 'Low', unassigned: 'No priority' }
export const PRIORITY_RANK = { critical: 0, high: 1, normal: 2, low: 3, unassigned: 4 }

// SLA time left: ok / warning (under 4 hours) / breached.
export function sla(deadline, status, now = Date.now()) {
  if (deadline == null || status === 'resolved' || status === 'closed') return null
  const left = deadline - now
  const level = left < 0 ? 'breached' : left < 4 * 3600 * 1000 ? 'warning' : 'ok'
  const hours = Math.abs(left) / 3600000
  const span = hours < 1 ? `${Math.max(1, Math.round(hours * 60))} min` : hours < 48 ? `${Math.round(hours)} h` : `${Math.round(hours / 24)} days`
  const text = left < 0 ? `Overdue by ${span}` : `Due in ${span}`
  return { level, text, due: fmt.when(deadline) }
}
