#!/usr/bin/env node
// Bundles the querier's web UI (src/web) into dist/web: index.html (with a __THANOSTS_PREFIX__
// placeholder the server fills per request) and minified, content-hashed assets in static/.
// Everything comes from npm packages at build time; the UI needs no network at run time.
import {build} from 'esbuild'
import {copyFile, mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const src = path.join(root, 'src/web')
const out = path.join(root, 'dist/web')
const staticDir = path.join(out, 'static')

await rm(out, {recursive: true, force: true})
await mkdir(staticDir, {recursive: true})

const result = await build({
  entryPoints: [path.join(src, 'main.tsx')],
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: staticDir,
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
  legalComments: 'linked',
  define: {'process.env.NODE_ENV': '"production"'},
})

const outputs = Object.keys(result.metafile.outputs).map((f) => path.basename(f))
const js = outputs.find((f) => /^main-.*\.js$/.test(f))
const css = outputs.find((f) => /^main-.*\.css$/.test(f))
if (!js || !css) throw new Error(`build-web: bundle outputs missing (got ${outputs.join(', ')})`)

const template = await readFile(path.join(src, 'index.html'), 'utf8')
await writeFile(path.join(out, 'index.html'), template.replace('{{JS}}', js).replace('{{CSS}}', css))
await copyFile(path.join(src, 'favicon.svg'), path.join(staticDir, 'favicon.svg'))

const sizes = Object.entries(result.metafile.outputs)
  .filter(([f]) => !f.endsWith('.map'))
  .map(([f, o]) => `${path.basename(f)} ${(o.bytes / 1024).toFixed(0)} KiB`)
console.error(`build-web: dist/web: ${sizes.join(', ')}`)
