// Talking to Fieldline: device sign-in, refresh-token rotation, 401 -> signed out,
// 503 + Retry-After -> back off. Errors carry a plain-English `message`.

import { deviceId, load, newDeviceId, save } from './store.js'

export const APP_VERSION = 'field-app/1.0.0'

export class AppError extends Error {
  constructor(message, { kind = 'error', status = 0, code = null, retryAfter = 0 } = {}) {
    super(message)
    this.kind = kind // 'offline' | 'busy' | 'signed_out' | 'refused' | 'error'
    this.status = status
    this.code = code
    this.retryAfter = retryAfter
  }
}

let backoffUntil = 0
let refreshing = null

export const auth = {
  get() {
    return load('auth')
  },
  signedIn() {
    const a = load('auth')
    return !!(a && a.refresh)
  },
  signOut(reason) {
    const a = load('auth') || {}
    // Keep who was signed in: their unsynced work waits for the same person.
    save('auth', { email: a.email, userId: a.userId, name: a.name, reason })
  },
}

export function backoffRemaining() {
  return Math.max(0, backoffUntil - Date.now())
}

function claims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')
    return JSON.parse(decodeURIComponent(escape(atob(part))))
  } catch (e) {
    return {}
  }
}

async function problem(response) {
  try {
    const body = await response.json()
    return { code: body.code || null, detail: body.detail || body.title || '' }
  } catch (e) {
    return { code: null, detail: '' }
  }
}

function retryAfterSeconds(response) {
  const value = response.headers.get('Retry-After')
  if (!value) return 30
  const n = Number(value)
  if (Number.isFinite(n)) return Math.min(Math.max(n, 1), 600)
  const at = Date.parse(value)
  return Number.isFinite(at) ? Math.min(Math.max((at - Date.now()) / 1000, 1), 600) : 30
}

async function send(path, init) {
  if (backoffRemaining() > 0) {
    const s = Math.ceil(backoffRemaining() / 1000)
    throw new AppError(`Fieldline is busy. Trying again in ${s} s.`, { kind: 'busy', retryAfter: s })
  }
  if (!navigator.onLine) {
    throw new AppError('No connection. Your work is saved on this phone.', { kind: 'offline' })
  }
  let response
  try {
    response = await fetch(path, { credentials: 'omit', cache: 'no-store', ...init })
  } catch (e) {
    throw new AppError('Could not reach Fieldline. Your work is saved on this phone.', {
      kind: 'offline',
    })
  }
  if (response.status === 503) {
    const s = retryAfterSeconds(response)
    backoffUntil = Date.now() + s * 1000
    throw new AppError(`Fieldline is busy. Trying again in ${Math.ceil(s)} s.`, {
      kind: 'busy',
      status: 503,
      retryAfter: s,
    })
  }
  return response
}

const SIGNED_OUT_REASONS = {
  token_reused: 'You were signed out because this sign-in was used on another device. Sign in again.',
  token_revoked: 'The office signed this phone out. Sign in again.',
  device_revoked: 'The office signed this phone out. Sign in again.',
  token_expired: 'Your sign-in has expired. Sign in again.',
  token_invalid: 'You are signed out. Sign in again.',
}

function store(pair, extra) {
  const c = claims(pair.access_token)
  const a = {
    ...extra,
    access: pair.access_token,
    refresh: pair.refresh_token,
    expiresAt: Date.now() + (pair.expires_in || 900) * 1000,
    userId: c.sub != null ? String(c.sub) : extra.userId,
    role: c.role,
  }
  save('auth', a)
  return a
}

export async function signIn(email, password) {
  const previous = load('auth') || {}
  const attempt = async (id) =>
    send('/api/auth/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        email,
        password,
        device_id: id,
        device_name: deviceName(),
        app_version: APP_VERSION,
      }),
    })
  let response = await attempt(deviceId())
  if (response.status === 401) {
    const p = await problem(response)
    if (p.code !== 'device_revoked') {
      throw new AppError(p.detail || 'Email or password is wrong.', { kind: 'refused', status: 401, code: p.code })
    }
    // The office revoked this phone's id (a lost handheld found again): the password
    // proves who this is, so the phone registers under a new id.
    response = await attempt(newDeviceId())
  }
  if (!response.ok) {
    const p = await problem(response)
    const message =
      response.status === 429
        ? 'Too many attempts. Wait a minute and try again.'
        : p.detail || `Sign-in failed (${response.status}).`
    throw new AppError(message, { kind: 'refused', status: response.status, code: p.code })
  }
  const pair = await response.json()
  const c = claims(pair.access_token)
  if (c.role && c.role !== 'contractor') {
    throw new AppError('This app is for contractors. Staff and tenants use Fieldline in the browser.', {
      kind: 'refused',
    })
  }
  return { auth: store(pair, { email }), previousUserId: previous.userId || null }
}

async function refresh() {
  if (!refreshing) {
    refreshing = (async () => {
      const a = load('auth')
      if (!a || !a.refresh) throw new AppError(SIGNED_OUT_REASONS.token_invalid, { kind: 'signed_out' })
      const response = await send('/api/auth/refresh', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ refresh_token: a.refresh }),
      })
      if (response.status === 401 || response.status === 400 || response.status === 422) {
        const p = await problem(response)
        const reason = SIGNED_OUT_REASONS[p.code] || SIGNED_OUT_REASONS.token_invalid
        auth.signOut(reason)
        throw new AppError(reason, { kind: 'signed_out', status: 401, code: p.code })
      }
      if (!response.ok) throw new AppError(`Fieldline answered ${response.status}.`, { status: response.status })
      return store(await response.json(), { email: a.email, name: a.name, userId: a.userId })
    })().finally(() => {
      refreshing = null
    })
  }
  return refreshing
}

// An authenticated request; one refresh and retry on 401.
export async function call(path, init = {}) {
  let a = load('auth')
  if (!a || !a.refresh) {
    throw new AppError((a && a.reason) || 'You are signed out. Sign in again.', { kind: 'signed_out' })
  }
  if (!a.access || a.expiresAt - Date.now() < 30000) a = await refresh()
  const go = (token) =>
    send(path, {
      ...init,
      headers: { ...(init.headers || {}), Authorization: `Bearer ${token}`, 'X-App-Version': APP_VERSION },
    })
  let response = await go(a.access)
  if (response.status === 401) {
    a = await refresh()
    response = await go(a.access)
    if (response.status === 401) {
      const p = await problem(response)
      const reason = SIGNED_OUT_REASONS[p.code] || SIGNED_OUT_REASONS.token_invalid
      auth.signOut(reason)
      throw new AppError(reason, { kind: 'signed_out', status: 401, code: p.code })
    }
  }
  return response
}

export async function failure(response, what) {
  const p = await problem(response)
  return new AppError(`${what} was refused (${response.status}${p.code ? `, ${p.code}` : ''}): ${p.detail}`, {
    kind: 'refused',
    status: response.status,
    code: p.code,
  })
}

function deviceName() {
  const ua = navigator.userAgent
  const m = ua.match(/\(([^;)]+)/)
  return `Field app${m ? ` on ${m[1]}` : ''}`.slice(0, 100)
}
