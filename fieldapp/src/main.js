// Fieldline field app: jobs, hours, materials, photos, messages, signatures —
// offline first. Views are plain DOM (ui.js); data lives in WatermelonDB (db.js) and
// syncs with the server (sync.js).

import * as Q from '@nozbe/watermelondb/QueryDescription'
import { AppError, auth, call, signIn } from './api.js'
import * as conflicts from './conflicts.js'
import * as photos from './photos.js'
import { TABLES, openDatabase, persist, persistWhenHidden } from './db.js'
import { files, load, save, uuid } from './store.js'
import * as sync from './sync.js'
import { PRIORITY, PRIORITY_RANK, STATUS, fmt, h, replace, sla } from './ui.js'

const BRAND = document.querySelector('meta[name="application-name"]')?.content || 'Fieldline'
let database = null
let main = null
let statusBar = null
let toastEl = null
let renderCurrent = () => {}
let unsubscribe = null

// ---------------------------------------------------------------- start

async function start() {
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('./sw.js', { scope: './' }).catch(() => {})
  }
  main = document.getElementById('main')
  statusBar = document.getElementById('sync-status')
  toastEl = document.getElementById('toast')
  document.getElementById('sync-now').addEventListener('click', () => {
    toast('Syncing…')
    sync.syncNow('button')
  })
  window.addEventListener('fieldline:quota', () => {
    toast('This phone is out of storage space. Free some space, or your next changes cannot be saved.')
  })
  window.addEventListener('fieldline:dberror', () => {
    toast('The app could not open its storage on this phone. Close it and open it again.')
  })
  database = openDatabase()
  await sync.init(database)
  sync.onStatus(showStatus)
  persistWhenHidden(database)
  // A change is shown once it is on disk: what the list shows survives a closed app.
  database.withChangesForTables(TABLES).subscribe(() => {
    const saving = persist(database)
    clearTimeout(renderCurrent.pending)
    renderCurrent.pending = setTimeout(async () => {
      await saving
      renderCurrent()
      sync.refreshCounts()
    }, 30)
  })
  window.addEventListener('hashchange', route)
  pullToRefresh()
  setInterval(() => showStatus(sync.status), 30000)
  window.addEventListener('offline', () => showStatus(sync.status))
  route()
  document.documentElement.dataset.ready = 'true'
  if (auth.signedIn()) sync.syncNow('start')
}

function route() {
  const hash = location.hash.replace(/^#\/?/, '')
  const parts = hash.split('/')
  if (!auth.signedIn()) return show(signInView)
  if (parts[0] === 'job' && parts[1] && parts[2] === 'sign') return show(() => signView(parts[1]))
  if (parts[0] === 'job' && parts[1]) return show(() => jobView(parts[1]))
  return show(jobsView)
}

async function show(view) {
  if (unsubscribe) unsubscribe()
  unsubscribe = null
  renderCurrent = () => {}
  await view()
  const heading = main.querySelector('h1')
  if (heading) {
    heading.setAttribute('tabindex', '-1')
    heading.focus({ preventScroll: true })
  }
  window.scrollTo(0, 0)
}

function go(hash) {
  if (location.hash === hash) route()
  else location.hash = hash
}

function toast(text) {
  toastEl.textContent = text
  toastEl.classList.add('shown')
  clearTimeout(toast.timer)
  toast.timer = setTimeout(() => toastEl.classList.remove('shown'), 2500)
}

// ---------------------------------------------------------------- sync status

function showStatus(s) {
  const parts = []
  const signedOut = !auth.signedIn()
  if (s.syncing) parts.push(h('span', { class: 'st st-busy' }, 'Syncing…'))
  const waiting = s.pending + s.pendingFiles
  parts.push(
    h(
      'span',
      { class: waiting ? 'st st-pending' : 'st st-ok' },
      waiting ? `${waiting} change${waiting === 1 ? '' : 's'} not sent yet` : 'All work sent',
    ),
  )
  parts.push(h('span', { class: 'st' }, `Last sync: ${s.lastSyncAt ? fmt.ago(s.lastSyncAt) : 'never'}`))
  if (!navigator.onLine || (s.lastErrorKind === 'offline' && !s.syncing)) parts.push(h('span', { class: 'st st-off' }, 'Offline'))
  if (s.lastError && !signedOut) parts.push(h('span', { class: 'st st-error' }, s.lastError))
  const kept = conflicts.count()
  if (kept) parts.push(h('span', { class: 'st' }, `The office kept its own version of ${kept} change${kept === 1 ? '' : 's'} (see the job${kept === 1 ? '' : 's'})`))
  replace(statusBar, parts)
  document.getElementById('sync-now').disabled = signedOut || s.syncing
  if (signedOut && !location.hash.startsWith('#/signin') && main.dataset.view !== 'signin') route()
}

// ---------------------------------------------------------------- sign in

function errorSummary(messages) {
  return h(
    'div',
    { class: 'error-summary', role: 'alert', tabindex: '-1' },
    h('h2', {}, 'There is a problem'),
    h('ul', {}, messages.map(([text, target]) => h('li', {}, target ? h('a', { href: `#${target}`, onclick: (e) => { e.preventDefault(); document.getElementById(target).focus() } }, text) : text))),
  )
}

function field(id, label, input, hint) {
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
    input,
  )
}

async function signInView() {
  main.dataset.view = 'signin'
  const a = auth.get() || {}
  const unsynced = database ? await sync.hasUnsynced() : false
  const email = h('input', { id: 'email', type: 'email', name: 'email', autocomplete: 'username', required: true, value: a.email || '' })
  const password = h('input', { id: 'password', type: 'password', name: 'password', autocomplete: 'current-password', required: true })
  const errors = h('div')
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in')
  const form = h(
    'form',
    {
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault()
        const problems = []
        if (!email.value.trim()) problems.push(['Enter your email address', 'email'])
        if (!password.value) problems.push(['Enter your password', 'password'])
        if (problems.length) return showErrors(problems)
        button.disabled = true
        button.textContent = 'Signing in…'
        try {
          const before = load('auth') || {}
          const { auth: now } = await signIn(email.value.trim(), password.value)
          if (before.userId && now.userId !== before.userId) {
            if (await sync.hasUnsynced()) {
              auth.signOut(before.reason)
              save('auth', { ...before })
              throw new AppError(
                `This phone holds work by ${before.email} that is not sent yet. Sign in as ${before.email} to send it first.`,
              )
            }
            await database.write(() => database.unsafeResetDatabase())
            await files.clear()
            for (const key of ['lastSyncAt', 'lastError', 'kept', 'conflicts', 'pushedStatus', 'leaving', 'timer']) save(key, null)
            sync.status.lastSyncAt = null
          }
          go('#/jobs')
          sync.syncNow('sign-in')
        } catch (err) {
          showErrors([[err.message || 'Sign-in failed.', 'email']])
        } finally {
          button.disabled = false
          button.textContent = 'Sign in'
        }
      },
    },
    errors,
    field('email', 'Email address', email),
    field('password', 'Password', password),
    button,
  )
  function showErrors(list) {
    replace(errors, errorSummary(list))
    errors.firstChild.focus()
  }
  replace(
    main,
    h('h1', {}, `Sign in to ${BRAND}`),
    a.reason ? h('p', { class: 'notice notice-warn', role: 'alert' }, a.reason) : null,
    unsynced
      ? h('p', { class: 'notice' }, 'Your unsent work is kept on this phone. It will be sent after you sign in.')
      : null,
    form,
  )
}

// ---------------------------------------------------------------- jobs list

function pill(kind, value, label) {
  return h('span', { class: `pill pill-${kind}-${value}` }, label)
}

function slaBadge(t) {
  const s = sla(t.deadline_at, t.status)
  if (!s) return null
  return h('span', { class: `sla sla-${s.level}`, title: `Due ${s.due}` }, s.level === 'breached' ? '⚠ ' : '', s.text)
}

function byPriorityAndDeadline(a, b) {
  const done = (t) => (t.status === 'resolved' || t.status === 'closed' ? 1 : 0)
  return (
    done(a) - done(b) ||
    (PRIORITY_RANK[a.priority] ?? 5) - (PRIORITY_RANK[b.priority] ?? 5) ||
    (a.deadline_at ?? Infinity) - (b.deadline_at ?? Infinity) ||
    a.created_at - b.created_at
  )
}

async function jobsView() {
  main.dataset.view = 'jobs'
  const list = h('ul', { class: 'jobs', 'aria-label': 'Your jobs' })
  const count = h('p', { class: 'muted' })
  const gone = h('div')
  replace(main, h('div', { class: 'ptr', id: 'ptr', 'aria-hidden': 'true' }, 'Release to sync'), h('h1', {}, 'Your jobs'), gone, count, list, signOutBox())
  renderCurrent = async () => {
    const tickets = (await database.get('tickets').query().fetch()).map((r) => r._raw)
    // Conflicts of jobs that have left the phone (closed or unassigned meanwhile).
    replace(gone, conflicts.ofJobsGone(tickets.map((t) => t.id)).map((c) => conflicts.notice(c, () => { renderCurrent(); showStatus(sync.status) }, true)))
    const leaving = new Set(load('leaving', []))
    tickets.sort(byPriorityAndDeadline)
    if (!performance.getEntriesByName('fieldline:jobs-shown').length) performance.mark('fieldline:jobs-shown')
    const open = tickets.filter((t) => t.status !== 'resolved' && t.status !== 'closed').length
    count.textContent = tickets.length
      ? `${open} open, ${tickets.length - open} done`
      : sync.status.lastSyncAt
        ? 'No jobs assigned to you.'
        : 'Your jobs appear after the first sync.'
    replace(
      list,
      tickets.map((t) =>
        h(
          'li',
          { class: `job job-${t.status}` },
          h(
            'a',
            { href: `#/job/${t.id}` },
            h('span', { class: 'job-top' }, h('span', { class: 'ref' }, t.ref), pill('priority', t.priority || 'unassigned', PRIORITY[t.priority] || 'No priority'), pill('status', t.status, STATUS[t.status] || t.status)),
            h('span', { class: 'job-summary' }, t.summary),
            h('span', { class: 'job-where' }, [t.unit_name, t.block_name].filter(Boolean).join(', ')),
            leaving.has(t.id) ? h('span', { class: 'sla sla-warning' }, 'Unassigned: leaves after your work is sent') : slaBadge(t),
          ),
        ),
      ),
    )
  }
  await renderCurrent()
}

function signOutBox() {
  const a = auth.get() || {}
  const box = h('div', { class: 'signout' })
  const plain = () =>
    replace(box, h('p', { class: 'muted' }, `Signed in as ${a.email || 'you'}. `,
      h('button', { type: 'button', class: 'link', onclick: ask }, 'Sign out')))
  async function ask() {
    const waiting = (await sync.hasUnsynced()) ? sync.status.pending + sync.status.pendingFiles : 0
    if (!waiting) return out()
    replace(box, h('div', { class: 'notice notice-warn', role: 'alert' },
      h('p', {}, h('strong', {}, `${waiting} change${waiting === 1 ? ' is' : 's are'} not sent yet. `),
        'They stay on this phone and are sent when you sign in again. Nobody else can sign in on this phone until then.'),
      h('button', { type: 'button', class: 'danger', onclick: out }, 'Sign out anyway'), ' ',
      h('button', { type: 'button', onclick: plain }, 'Stay signed in')))
    box.querySelector('.danger').focus()
  }
  function out() {
    auth.signOut(null)
    sync.refreshCounts()
    route()
  }
  plain()
  return box
}

function pullToRefresh() {
  let startY = null
  let pulled = 0
  window.addEventListener('touchstart', (e) => {
    startY = window.scrollY <= 0 && main.dataset.view === 'jobs' ? e.touches[0].clientY : null
    pulled = 0
  }, { passive: true })
  window.addEventListener('touchmove', (e) => {
    if (startY == null) return
    pulled = e.touches[0].clientY - startY
    document.getElementById('ptr')?.classList.toggle('shown', pulled > 70)
  }, { passive: true })
  window.addEventListener('touchend', () => {
    document.getElementById('ptr')?.classList.remove('shown')
    if (startY != null && pulled > 70) {
      toast('Syncing…')
      sync.syncNow('pull-to-refresh')
    }
    startY = null
  })
}

// ---------------------------------------------------------------- job page

async function findTicket(id) {
  const found = await database.get('tickets').query(Q.where('id', id)).fetch()
  return found[0] || null
}

async function children(table, ticketId) {
  return (await database.get(table).query(Q.where('ticket_id', ticketId)).fetch())
    .map((r) => r._raw)
    .sort((a, b) => a.created_at - b.created_at)
}

const pending = (raw) => (raw._status !== 'synced' ? h('span', { class: 'tag tag-pending' }, 'Not sent yet') : null)

async function create(table, fields) {
  let raw
  await database.write(async () => {
    const record = await database.get(table).create((r) => {
      for (const [key, value] of Object.entries(fields)) {
        if (key === 'id') r._raw.id = value
        else r._setRaw(key, value)
      }
    })
    raw = record._raw
  }, `create-${table}`)
  await persist(database) // on disk before the caller moves on (a signature, then the job)
  return raw
}

function section(title, id, ...content) {
  return h('section', { 'aria-labelledby': id, class: 'card' }, h('h2', { id }, title), ...content)
}

async function jobView(id) {
  main.dataset.view = 'job'
  const ticket = await findTicket(id)
  if (!ticket) {
    replace(main, h('p', {}, h('a', { href: '#/jobs', class: 'back' }, '← Jobs')), h('h1', {}, 'Job not found'), h('p', {}, 'This job is no longer assigned to you, or it has not been synced to this phone yet.'))
    return
  }
  const t = ticket._raw
  const head = h('div')
  const lists = {
    hours: h('ul', { class: 'entries' }),
    materials: h('ul', { class: 'entries' }),
    photos: h('ul', { class: 'photos' }),
    messages: h('ol', { class: 'timeline' }),
    notes: h('ul', { class: 'entries' }),
  }
  const timerBox = h('div', { class: 'timer' })
  const finish = resolveBox(id)
  replace(
    main,
    h('p', {}, h('a', { href: '#/jobs', class: 'back' }, '← Jobs')),
    head,
    section('Hours', 'hours-h', timerBox, hoursForm(id), lists.hours),
    section('Materials', 'materials-h', materialForm(id), lists.materials),
    section('Photos', 'photos-h', photoInput(id), lists.photos),
    section('Messages', 'messages-h', lists.messages, replyForm(id)),
    section('Customer signature', 'sign-h', lists.notes, h('a', { href: `#/job/${id}/sign`, class: 'button' }, 'Get customer signature')),
    finish,
  )
  renderCurrent = async () => {
    const now = await findTicket(id)
    if (!now) return go('#/jobs')
    renderHead(head, now._raw)
    renderTimer(timerBox, id)
    const [hours, materials, messages, attachments, notes] = await Promise.all(
      ['time_entries', 'materials', 'ticket_messages', 'attachments', 'delivery_notes'].map((tb) => children(tb, id)),
    )
    finish.update(now._raw.status, notes.length > 0)
    const total = hours.reduce((n, e) => n + (e.minutes || 0), 0)
    replace(
      lists.hours,
      hours.map((e) => h('li', {}, h('strong', {}, fmt.duration(e.minutes)), ` ${e.chargeable ? 'chargeable' : 'not chargeable'}`, e.note ? ` — ${e.note}` : '', h('span', { class: 'muted' }, ` ${fmt.when(e.started_at || e.created_at)}`), pending(e))),
      hours.length ? h('li', { class: 'total' }, `Total ${fmt.duration(total)}`) : h('li', { class: 'muted' }, 'No hours logged yet.'),
    )
    replace(
      lists.materials,
      materials.length
        ? materials.map((m) => h('li', {}, h('strong', {}, `${m.quantity}${m.unit ? ` ${m.unit}` : ''}`), ` ${m.description}`, m.unit_price ? ` at ${fmt.money(m.unit_price)}` : '', m.chargeable ? '' : ' (not chargeable)', pending(m)))
        : h('li', { class: 'muted' }, 'No materials yet.'),
    )
    const signatureIds = new Set(notes.map((n) => n.signature_attachment_id))
    const local = Object.fromEntries((await files.all()).map((f) => [f.id, f]))
    const jobPhotos = attachments.filter((a) => !signatureIds.has(a.id) && !a.message_id)
    replace(lists.photos, jobPhotos.length ? photos.items(jobPhotos, local) : h('li', { class: 'muted' }, 'No photos yet.'))
    const ofMessage = (m) => attachments.filter((a) => a.message_id === m.id)
    replace(
      lists.messages,
      messages.length
        ? messages.map((m) =>
            h(
              'li',
              { class: `msg msg-${m.visibility} role-${m.author_role || 'contractor'}` },
              h('p', { class: 'msg-meta' }, h('span', { class: `badge badge-${m.visibility}` }, m.visibility === 'team' ? 'Team' : 'Public'), ` ${m.author_name || 'You'}`, m.author_role ? ` (${m.author_role})` : '', h('span', { class: 'muted' }, ` ${fmt.when(m.created_at)}`), pending(m)),
              h('p', { class: 'msg-body' }, m.body),
              ofMessage(m).length ? h('ul', { class: 'photos', 'aria-label': 'Photos with this message' }, photos.items(ofMessage(m), local)) : null,
            ),
          )
        : h('li', { class: 'muted' }, 'No messages yet.'),
    )
    const filesById = local
    replace(
      lists.notes,
      notes.length
        ? notes.map((n) =>
            h('li', {}, h('strong', {}, n.number ? `Delivery note ${n.number}` : 'Delivery note'), ` signed by ${n.signed_by}, ${fmt.when(n.signed_at)}`, pending(n),
              filesById[n.signature_attachment_id] && !filesById[n.signature_attachment_id].sent ? h('span', { class: 'tag tag-pending' }, 'Signature not uploaded yet') : null,
              n.number && n._status === 'synced' ? h('div', {}, h('button', { type: 'button', onclick: () => openPdf(n) }, `Open ${n.number} (PDF)`)) : null),
          )
        : h('li', { class: 'muted' }, 'Not signed yet.'),
    )
  }
  await renderCurrent()
}

// The signed note's PDF needs the device's bearer token, so it is fetched here and
// handed to the phone's PDF viewer as a download of an object URL (no CSP change:
// a download is not a resource the page loads).
async function openPdf(note) {
  const path = /^\/api\/tickets\/\d+\/delivery-notes\/[^/]+\.pdf$/.test(note.pdf_url || '')
    ? note.pdf_url
    : `/api/tickets/${encodeURIComponent(note.ticket_id)}/delivery-notes/${encodeURIComponent(note.id)}.pdf`
  toast('Getting the PDF…')
  try {
    const response = await call(path)
    if (response.status === 409) return toast('The office is still preparing this PDF. Try again in a minute.')
    if (!response.ok) return toast(`The PDF could not be fetched (${response.status}).`)
    const url = URL.createObjectURL(await response.blob())
    const link = h('a', { href: url, download: `${note.number}.pdf`, hidden: true })
    document.body.append(link)
    link.click()
    link.remove()
    setTimeout(() => URL.revokeObjectURL(url), 60000)
    toast(`${note.number}.pdf downloaded`)
  } catch (e) {
    toast(e instanceof AppError && e.kind === 'offline' ? 'The PDF needs a connection. Try again with signal.' : e.message || 'The PDF could not be fetched.')
  }
}

function renderHead(el, t) {
  const leaving = load('leaving', []).includes(t.id)
  let certificates = []
  let history = []
  try { certificates = JSON.parse(t.certificates || '[]') } catch (e) { /* shown empty */ }
  try { history = JSON.parse(t.unit_history || '[]') } catch (e) { /* shown empty */ }
  const maps = t.address ? `https://www.google.com/maps/search/?api=1&query=${encodeURIComponent(t.address)}` : null
  replace(
    el,
    h('h1', {}, h('span', { class: 'ref' }, t.ref), ' ', t.summary),
    h('p', { class: 'pills' }, pill('priority', t.priority || 'unassigned', PRIORITY[t.priority] || 'No priority'), ' ', pill('status', t.status, STATUS[t.status] || t.status), ' ', slaBadge(t), t._status !== 'synced' ? pending(t) : null),
    conflicts.forJob(t.id).map((c) => conflicts.notice(c, () => { renderHead(el, t); showStatus(sync.status) })),
    leaving ? h('p', { class: 'notice notice-warn' }, 'This job is no longer assigned to you. It leaves this phone once your work on it is sent.') : null,
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Address'),
      h('dd', {}, [t.unit_name, t.block_name].filter(Boolean).join(', '), t.address ? h('br') : null, t.address || '', maps ? h('br') : null, maps ? h('a', { href: maps, target: '_blank', rel: 'noopener' }, 'Open in maps') : null),
      t.access_notes ? [h('dt', {}, 'Access'), h('dd', { class: 'pre' }, t.access_notes)] : null,
      h('dt', {}, 'Tenant'),
      h('dd', {}, t.tenant_name || 'No tenant on record', t.tenant_phone ? [h('br'), h('a', { href: `tel:${t.tenant_phone.replace(/[^\d+]/g, '')}` }, `Call ${t.tenant_phone}`)] : null),
      t.deadline_at ? [h('dt', {}, 'Due'), h('dd', {}, fmt.when(t.deadline_at))] : null,
      t.description ? [h('dt', {}, 'Details'), h('dd', { class: 'pre' }, t.description)] : null,
      certificates.length
        ? [h('dt', {}, 'Certificates'), h('dd', {}, h('ul', { class: 'plain' }, certificates.map((c) => {
            const expires = c.expires_on ? Date.parse(c.expires_on) : null
            const expired = expires != null && expires < Date.now()
            return h('li', {}, `${(c.kind || '').replace(/_/g, ' ')} ${c.number || ''}`, expires != null ? h('span', { class: expired ? 'tag tag-bad' : 'muted' }, expired ? ` expired ${fmt.date(expires)}` : ` expires ${fmt.date(expires)}`) : null)
          })))]
        : null,
      history.length
        ? [h('dt', {}, 'Previous jobs here'), h('dd', {}, h('ul', { class: 'plain' }, history.slice(0, 5).map((p) => h('li', {}, `${p.ref || ''} ${p.summary || ''} `, h('span', { class: 'muted' }, [p.date ? fmt.date(p.date) : '', STATUS[p.outcome] || p.outcome || ''].filter(Boolean).join(', '))))))]
        : null,
    ),
  )
}

// Hours: a timer (kept across reloads) or hours entered by hand.
function renderTimer(el, ticketId) {
  const running = load('timer')
  const mine = running && running.ticketId === ticketId
  const button = h('button', {
    type: 'button',
    class: mine ? 'danger' : 'secondary',
    onclick: async () => {
      if (!mine) {
        if (running) return toast('A timer is already running on another job.')
        save('timer', { ticketId, startedAt: Date.now() })
        toast('Timer started')
      } else {
        const ended = Date.now()
        const minutes = Math.max(1, Math.round((ended - running.startedAt) / 60000))
        save('timer', null)
        toast(`Logged ${fmt.duration(minutes)}`)
        await create('time_entries', { id: uuid(), ticket_id: ticketId, started_at: running.startedAt, ended_at: ended, minutes, chargeable: true, note: null })
      }
      renderTimer(el, ticketId)
    },
  }, mine ? 'Stop timer and log hours' : 'Start timer')
  replace(el, button, mine ? h('span', { class: 'muted' }, ` Running since ${fmt.when(running.startedAt)}`) : null)
}

function hoursForm(ticketId) {
  const hours = h('input', { id: 'hours', type: 'number', inputmode: 'decimal', min: '0', max: '24', step: '0.25', 'aria-describedby': 'hours-hint' })
  const note = h('input', { id: 'hours-note', type: 'text', maxlength: '500' })
  const chargeable = h('input', { id: 'hours-chargeable', type: 'checkbox', checked: true })
  const errors = h('div')
  return h(
    'form',
    {
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault()
        const value = Number(hours.value)
        if (!hours.value || !Number.isFinite(value) || value <= 0 || value > 24) {
          replace(errors, errorSummary([['Enter the hours worked, for example 1.5', 'hours']]))
          return hours.focus()
        }
        replace(errors)
        const minutes = Math.round(value * 60)
        toast(`Logged ${fmt.duration(minutes)}`)
        const ended = Date.now()
        await create('time_entries', { id: uuid(), ticket_id: ticketId, started_at: ended - minutes * 60000, ended_at: ended, minutes, chargeable: chargeable.checked, note: note.value.trim() || null })
        hours.value = ''
        note.value = ''
      },
    },
    errors,
    field('hours', 'Hours worked', hours, 'In hours, for example 1.5'),
    field('hours-note', 'What you did (optional)', note),
    h('div', { class: 'check' }, chargeable, h('label', { for: 'hours-chargeable' }, 'Chargeable')),
    h('button', { type: 'submit', class: 'primary' }, 'Log hours'),
  )
}

function materialForm(ticketId) {
  const description = h('input', { id: 'mat-desc', type: 'text', maxlength: '500' })
  const quantity = h('input', { id: 'mat-qty', type: 'number', inputmode: 'decimal', min: '0', step: 'any', value: '1' })
  const unit = h('input', { id: 'mat-unit', type: 'text', maxlength: '20', placeholder: 'each' })
  const price = h('input', { id: 'mat-price', type: 'number', inputmode: 'decimal', min: '0', step: '0.01', 'aria-describedby': 'mat-price-hint' })
  const chargeable = h('input', { id: 'mat-chargeable', type: 'checkbox', checked: true })
  const errors = h('div')
  return h(
    'form',
    {
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault()
        const problems = []
        if (!description.value.trim()) problems.push(['Enter what you used', 'mat-desc'])
        const q = Number(quantity.value)
        if (!quantity.value || !Number.isFinite(q) || q <= 0) problems.push(['Enter a quantity above 0', 'mat-qty'])
        if (price.value && !(Number(price.value) >= 0)) problems.push(['Enter a price of 0 or more', 'mat-price'])
        if (problems.length) return replace(errors, errorSummary(problems))
        replace(errors)
        toast('Material saved')
        await create('materials', {
          id: uuid(), ticket_id: ticketId, description: description.value.trim(), quantity: String(q),
          unit: unit.value.trim() || null, unit_price: price.value ? Number(price.value).toFixed(2) : null, chargeable: chargeable.checked,
        })
        description.value = ''
        quantity.value = '1'
        unit.value = ''
        price.value = ''
      },
    },
    errors,
    field('mat-desc', 'Material', description),
    h('div', { class: 'row' }, field('mat-qty', 'Quantity', quantity), field('mat-unit', 'Unit', unit)),
    field('mat-price', 'Unit price in £ (optional)', price, 'Leave empty when you do not know it'),
    h('div', { class: 'check' }, chargeable, h('label', { for: 'mat-chargeable' }, 'Chargeable')),
    h('button', { type: 'submit', class: 'primary' }, 'Add material'),
  )
}

// A file kept on the phone until uploaded, and its attachments record (on a message
// when `messageId` is given).
async function attach(ticketId, bytes, type, name, messageId = null) {
  const record = await photos.keep(ticketId, bytes, type, name, messageId)
  await create('attachments', record)
  return record.id
}

function photoInput(ticketId) {
  const input = h('input', { id: 'photo', type: 'file', accept: 'image/*', capture: 'environment', class: 'file' })
  input.addEventListener('change', async () => {
    const chosen = [...input.files]
    input.value = ''
    for (const file of chosen) {
      toast('Photo saved')
      const { bytes, type } = await photos.shrink(file)
      await attach(ticketId, bytes, type, photos.name(type))
    }
    sync.refreshCounts()
  })
  return h('div', { class: 'field' }, h('label', { for: 'photo', class: 'button secondary' }, 'Take or add a photo'), input)
}

function replyForm(ticketId) {
  const body = h('textarea', { id: 'reply', rows: '3', maxlength: '10000' })
  const pub = h('input', { type: 'radio', name: 'visibility', id: 'vis-public', value: 'public', checked: true })
  const team = h('input', { type: 'radio', name: 'visibility', id: 'vis-team', value: 'team' })
  const errors = h('div')
  // Photos for this message: shrunk when chosen, kept with the message when it is sent.
  let chosen = []
  const chosenList = h('p', { class: 'muted', id: 'reply-photos', 'aria-live': 'polite' })
  const showChosen = () => replace(chosenList, chosen.length ? `${chosen.length} photo${chosen.length === 1 ? '' : 's'} with this message: ${chosen.map((c) => c.name).join(', ')}` : '')
  const photo = h('input', { id: 'reply-photo', type: 'file', accept: 'image/*', capture: 'environment', class: 'file', multiple: true })
  photo.addEventListener('change', async () => {
    const picked = [...photo.files]
    photo.value = ''
    for (const file of picked) {
      const { bytes, type } = await photos.shrink(file)
      chosen.push({ bytes, type, name: photos.name(type, chosen.length + 1) })
    }
    showChosen()
  })
  return h(
    'form',
    {
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault()
        if (!body.value.trim()) {
          replace(errors, errorSummary([['Write a message', 'reply']]))
          return body.focus()
        }
        replace(errors)
        toast(chosen.length ? 'Message and photos saved' : 'Message saved')
        const messageId = uuid()
        const withPhotos = chosen
        chosen = []
        showChosen()
        await create('ticket_messages', { id: messageId, ticket_id: ticketId, body: body.value.trim(), visibility: team.checked ? 'team' : 'public', author_id: null, author_name: null, author_role: 'contractor' })
        body.value = ''
        for (const p of withPhotos) await attach(ticketId, p.bytes, p.type, p.name, messageId)
        if (withPhotos.length) sync.refreshCounts()
      },
    },
    errors,
    field('reply', 'Reply', body),
    h('div', { class: 'field' }, h('label', { for: 'reply-photo', class: 'button secondary' }, 'Add a photo to this message'), photo, chosenList),
    h('fieldset', { class: 'radios' }, h('legend', {}, 'Who sees it'),
      h('div', { class: 'check' }, pub, h('label', { for: 'vis-public' }, 'Public: the tenant and the office')),
      h('div', { class: 'check' }, team, h('label', { for: 'vis-team' }, 'Team: the office only'))),
    h('button', { type: 'submit', class: 'primary' }, 'Send reply'),
  )
}

// Resolving: by pushing the status, unless a signed delivery note is on its way (the
// server resolves any ticket on the customer's signature, and the closing rule may close
// it at once: a status pushed too would be refused, a needless conflict for staff).
function resolveBox(ticketId) {
  const box = h('section', { class: 'card', 'aria-labelledby': 'resolve-h' })
  box.update = (status, signed) => {
    const finished = status === 'resolved' || status === 'closed'
    replace(
      box,
      h('h2', { id: 'resolve-h' }, 'Finish the job'),
      finished
        ? h('p', {}, `This job is ${STATUS[status].toLowerCase()}.`)
        : signed
          ? h('p', {}, 'The customer signed: the job is resolved when the signature reaches the office.')
          : [
              h('p', { class: 'hint' }, 'When the work is done. The office is told at the next sync.'),
              h('button', {
                type: 'button',
                class: 'primary',
                onclick: async () => {
                  const ticket = await findTicket(ticketId)
                  if (!ticket) return
                  toast('Job marked resolved')
                  await database.write(() => ticket.update((r) => { r._setRaw('status', 'resolved') }), 'resolve')
                  await persist(database)
                  sync.syncNow('resolve')
                },
              }, 'Mark job resolved'),
            ],
    )
  }
  return box
}

// ---------------------------------------------------------------- signature

async function signView(ticketId) {
  main.dataset.view = 'sign'
  const ticket = await findTicket(ticketId)
  if (!ticket) return go('#/jobs')
  const t = ticket._raw
  const [hours, materials] = await Promise.all([children('time_entries', ticketId), children('materials', ticketId)])
  const minutes = hours.reduce((n, e) => n + e.minutes, 0)
  const summary = [
    t.summary,
    minutes ? `${fmt.duration(minutes)} on site` : '',
    materials.length ? `Materials: ${materials.map((m) => `${m.quantity}${m.unit ? ` ${m.unit}` : ''} ${m.description}`).join(', ')}` : '',
  ].filter(Boolean).join('. ')
  const name = h('input', { id: 'signer', type: 'text', autocomplete: 'off', maxlength: '200', value: t.tenant_name || '' })
  const work = h('textarea', { id: 'work', rows: '3', maxlength: '2000' })
  work.value = summary
  const canvas = h('canvas', { id: 'signature', class: 'pad', role: 'img', 'aria-label': 'Signature area: the customer signs here with a finger' })
  const errors = h('div')
  const saveButton = h('button', { type: 'submit', class: 'primary' }, 'Save signature')
  let drawn = false
  const form = h(
    'form',
    {
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault()
        const problems = []
        if (!name.value.trim()) problems.push(['Enter the name of the person signing', 'signer'])
        if (!drawn) problems.push(['Ask the customer to sign in the box', 'signature'])
        if (problems.length) {
          replace(errors, errorSummary(problems))
          return errors.firstChild.focus()
        }
        saveButton.disabled = true
        saveButton.textContent = 'Saved'
        toast('Signature saved')
        const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'))
        const bytes = await blob.arrayBuffer()
        const signedAt = Date.now()
        const attachmentId = await attach(ticketId, bytes, 'image/png', 'signature.png')
        await create('delivery_notes', { id: uuid(), ticket_id: ticketId, signed_by: name.value.trim(), signed_at: signedAt, signature_attachment_id: attachmentId, work_summary: work.value.trim() || null, number: null, pdf_url: null, content_sha256: null })
        go(`#/job/${ticketId}`)
        sync.syncNow('signature')
      },
    },
    errors,
    field('signer', 'Name of the person signing', name),
    field('work', 'Work done', work),
    h('div', { class: 'field' }, h('p', { class: 'label', id: 'signature-label' }, 'Signature'), canvas,
      h('button', { type: 'button', class: 'secondary', onclick: () => { clear(); drawn = false } }, 'Clear signature')),
    saveButton,
  )
  replace(main, h('p', {}, h('a', { href: `#/job/${ticketId}`, class: 'back' }, `← ${t.ref}`)), h('h1', {}, 'Customer signature'), h('p', { class: 'muted' }, `${t.ref} ${t.summary}`), form)
  const ctx = canvas.getContext('2d')
  const ratio = Math.min(window.devicePixelRatio || 1, 2)
  canvas.width = Math.round(canvas.clientWidth * ratio)
  canvas.height = Math.round(canvas.clientHeight * ratio)
  function clear() {
    ctx.fillStyle = '#ffffff'
    ctx.fillRect(0, 0, canvas.width, canvas.height)
    ctx.strokeStyle = '#10233f'
    ctx.lineWidth = 2.5 * ratio
    ctx.lineCap = 'round'
    ctx.lineJoin = 'round'
  }
  clear()
  let last = null
  const point = (e) => {
    const r = canvas.getBoundingClientRect()
    return [(e.clientX - r.left) * ratio, (e.clientY - r.top) * ratio]
  }
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId)
    last = point(e)
    ctx.beginPath()
    ctx.arc(last[0], last[1], ctx.lineWidth / 2, 0, Math.PI * 2)
    ctx.fillStyle = '#10233f'
    ctx.fill()
    drawn = true
  })
  canvas.addEventListener('pointermove', (e) => {
    if (!last) return
    const p = point(e)
    ctx.beginPath()
    ctx.moveTo(last[0], last[1])
    ctx.lineTo(p[0], p[1])
    ctx.stroke()
    last = p
  })
  const up = () => { last = null }
  canvas.addEventListener('pointerup', up)
  canvas.addEventListener('pointercancel', up)
}

start().catch((e) => {
  document.getElementById('main').textContent = 'The app could not start on this browser. Close it and open it again.'
  throw e
})
