// Photos and signatures kept on the phone until uploaded: scaled, hashed, and shown
// from object URLs (the one `blob:` use the CSP allows, img-src).

import { files, uuid } from './store.js'
import { h } from './ui.js'

async function digest(bytes) {
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
  const hex = [...hash].map((b) => b.toString(16).padStart(2, '0')).join('')
  let bin = ''
  for (const b of hash) bin += String.fromCharCode(b)
  return { hex, b64: btoa(bin) }
}

// Keeps the bytes in the file store; returns the attachments record to create.
export async function keep(ticketId, bytes, type, name, messageId = null) {
  const id = uuid()
  const { hex, b64 } = await digest(bytes)
  await files.put(id, { bytes, type, digest: b64, name, ticketId })
  return { id, ticket_id: ticketId, message_id: messageId, filename: name, content_type: type, sha256: hex, size: bytes.byteLength, uploaded: false }
}

// Phone photos are large: scale to at most 1600 px as JPEG before keeping them.
export async function shrink(file) {
  try {
    const bitmap = await createImageBitmap(file)
    const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height))
    if (scale === 1 && file.size < 1.5e6 && (file.type === 'image/jpeg' || file.type === 'image/png')) {
      return { bytes: await file.arrayBuffer(), type: file.type }
    }
    const canvas = document.createElement('canvas')
    canvas.width = Math.round(bitmap.width * scale)
    canvas.height = Math.round(bitmap.height * scale)
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height)
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.82))
    return { bytes: await blob.arrayBuffer(), type: 'image/jpeg' }
  } catch (e) {
    return { bytes: await file.arrayBuffer(), type: file.type || 'application/octet-stream' }
  }
}

export function name(type, n = null) {
  const ext = type === 'image/png' ? 'png' : 'jpg'
  const when = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')
  return `photo-${when}${n ? `-${n}` : ''}.${ext}`
}

const objectUrls = new Map()

// List items for photos: the picture while its bytes are on the phone, and its state.
export function items(attachments, local) {
  return attachments.map((a) => {
    const f = local[a.id]
    let img = null
    if (f && f.bytes) {
      if (!objectUrls.has(a.id)) objectUrls.set(a.id, URL.createObjectURL(new Blob([f.bytes], { type: f.type })))
      img = h('img', { src: objectUrls.get(a.id), alt: `Photo ${a.filename}`, width: 96, height: 96 })
    }
    const state = f && f.failed
      ? h('span', { class: 'tag tag-bad' }, f.failed)
      : f && !f.sent
        ? h('span', { class: 'tag tag-pending' }, 'Waiting to upload')
        : a.uploaded
          ? h('span', { class: 'tag tag-ok' }, 'Uploaded')
          : h('span', { class: 'tag' }, 'At the office')
    return h('li', {}, img || h('span', { class: 'ph' }, 'Photo'), h('span', { class: 'ph-name' }, a.filename), state)
  })
}
