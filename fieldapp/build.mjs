// Build the field app into ../web/static/field/ (committed; served by Flask).
// Deterministic: same sources and lock file -> same bytes (CI checks with git diff).
import { createHash } from 'node:crypto'
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const here = dirname(fileURLToPath(import.meta.url))
const out = join(here, '..', 'web', 'static', 'field')
rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })

const common = {
  bundle: true,
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  charset: 'utf8',
  target: ['es2020'],
  logLevel: 'warning',
}

await build({
  ...common,
  entryPoints: [join(here, 'src', 'main.js')],
  outfile: join(out, 'app.js'),
  format: 'iife',
  define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
})
await build({ ...common, entryPoints: [join(here, 'src', 'app.css')], outfile: join(out, 'app.css') })

for (const name of readdirSync(join(here, 'public')).sort()) {
  copyFileSync(join(here, 'public', name), join(out, name))
}

// The service worker's cache name is the hash of everything it caches.
const hash = createHash('sha256')
for (const name of readdirSync(out).sort()) hash.update(name).update(readFileSync(join(out, name)))
const sw = readFileSync(join(here, 'src', 'sw.js'), 'utf8').replace('__VERSION__', hash.digest('hex').slice(0, 16))
writeFileSync(join(out, 'sw.js'), sw)
console.log(`built ${out}`)
