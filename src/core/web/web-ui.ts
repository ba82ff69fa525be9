/**
 * web/: the querier's web UI, server side. The UI itself (src/web/, Preact + CodeMirror + uPlot)
 * is bundled at build time by scripts/build-web.mjs into dist/web/: an index.html template and
 * content-hashed assets under static/. This module serves them: no CDN, no network at run time.
 *
 * - UI routes (/query, /graph, /alerts, /rules, /targets, /stores, /status, /flags) answer the same index.html: the client
 *   routes by path, so a Prometheus link such as /graph?g0.expr=up&g0.tab=0 keeps working;
 *   `/` redirects to /query as Prometheus 3 does.
 * - The page learns where it lives from a prefix written into index.html: the path of
 *   `--web.external-prefix` (or, per request, the `--web.prefix-header` value, as Thanos's
 *   X-Forwarded-Prefix support), so assets, API calls and links work behind a reverse proxy
 *   that strips or adds a sub-path.
 * - Hashed assets are cached forever (immutable), index.html never (it names the current
 *   hashes); both are gzip-compressed in memory once, when a client first accepts it.
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import type {IncomingMessage, ServerResponse} from 'node:http'
import {extname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {gzipSync} from 'node:zlib'
import type {Logger} from '../log.js'
import {acceptsGzip} from '../server/accept-encoding.js'

/** Paths the single-page app answers (besides `/`, which redirects). */
export const UI_ROUTES = ['/query', '/graph', '/alerts', '/rules', '/targets', '/stores', '/status', '/flags'] as const

/** Written into dist/web/index.html by the build; replaced per request by the prefix. */
const PREFIX_PLACEHOLDER = '__THANOSTS_PREFIX__'

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.html': 'text/html; charset=utf-8',
}

export interface WebUiOptions {
  /** Path under which the UI is reachable from the browser ('' or '/x/y', no trailing slash). */
  externalPrefix: string
  /** `--web.prefix-header`: a request header whose value overrides externalPrefix. */
  prefixHeader?: string
  /** Directory of the built UI; defaults to dist/web next to the compiled sources. */
  dir?: string
  logger?: Logger
}

interface Asset {
  body: Buffer
  /** Compressed on first request (startup stays fast; a querier nobody browses never pays). */
  gzipped: Buffer | null | undefined
  type: string
}

/**
 * Normalises `--web.external-prefix`: a full URL (Prometheus's --web.external-url style) or a
 * path; returns its path without a trailing slash ('' for the root).
 */
export function externalPrefixPath(value: string): string {
  const v = value.trim()
  if (v === '') return ''
  let path = v
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) path = new URL(v).pathname
  if (!path.startsWith('/')) path = '/' + path
  path = path.replace(/\/+$/, '')
  if (!/^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/.test(path)) throw new Error(`invalid --web.external-prefix ${JSON.stringify(value)}: not a URL path`)
  return path
}

function defaultDir(): string {
  // dist/src/core/web/web-ui.js → dist/web
  return fileURLToPath(new URL('../../../web/', import.meta.url))
}


function compressible(type: string): boolean {
  return type.startsWith('text/') || type.startsWith('application/json') || type === 'image/svg+xml'
}

export class WebUi {
  private readonly assets = new Map<string, Asset>()
  private readonly indexTemplate: string | undefined
  /** Rendered index.html per prefix (the header-provided prefix varies per request). */
  private readonly indexCache = new Map<string, Asset>()

  constructor(private readonly opts: WebUiOptions) {
    const dir = opts.dir ?? defaultDir()
    const index = join(dir, 'index.html')
    if (!existsSync(index)) {
      opts.logger?.warn('web UI not built: run `npm run build`; serving the API only', {dir})
      return
    }
    this.indexTemplate = readFileSync(index, 'utf8')
    const staticDir = join(dir, 'static')
    if (existsSync(staticDir)) {
      for (const name of readdirSync(staticDir)) {
        const type = CONTENT_TYPES[extname(name)] ?? 'application/octet-stream'
        const body = readFileSync(join(staticDir, name))
        this.assets.set(name, {body, type, gzipped: compressible(type) ? undefined : null})
      }
    }
  }

  /** Answers UI paths (already stripped of the route prefix); false for anything else. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL, path: string): boolean {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false
    const prefix = this.prefixFor(req)
    if (path === '/') {
      res.writeHead(302, {location: `${prefix}/query${url.search}`})
      res.end()
      return true
    }
    if (path.startsWith('/static/')) {
      const name = path.slice('/static/'.length)
      const asset = /^[A-Za-z0-9._-]+$/.test(name) ? this.assets.get(name) : undefined
      if (!asset) return false
      // esbuild names bundles name-HASH.ext: a new build gets new names, so they never go stale.
      const hashed = /-[A-Z0-9]{8,}\.[a-z0-9]+$/.test(name)
      this.send(req, res, asset, hashed ? 'public, max-age=31536000, immutable' : 'no-cache')
      return true
    }
    if (path === '/favicon.ico' || path === '/favicon.svg') {
      const asset = this.assets.get('favicon.svg')
      if (!asset) return false
      this.send(req, res, asset, 'public, max-age=86400')
      return true
    }
    if ((UI_ROUTES as readonly string[]).includes(path.replace(/\/+$/, ''))) {
      if (this.indexTemplate === undefined) {
        res.writeHead(503, {'content-type': 'text/plain; charset=utf-8'})
        res.end(`The web UI is not built (dist/web is missing): run \`npm run build\`. The Prometheus HTTP API is at ${prefix}/api/v1/.\n`)
        return true
      }
      this.send(req, res, this.index(prefix), 'no-cache')
      return true
    }
    return false
  }

  private prefixFor(req: IncomingMessage): string {
    const h = this.opts.prefixHeader
    if (h) {
      const v = req.headers[h.toLowerCase()]
      const s = Array.isArray(v) ? v[0] : v
      if (s !== undefined && s !== '') {
        try {
          return externalPrefixPath(s)
        } catch {
          // an unusable header value falls back to the configured prefix
        }
      }
    }
    return this.opts.externalPrefix
  }

  private index(prefix: string): Asset {
    let a = this.indexCache.get(prefix)
    if (!a) {
      // The prefix passed externalPrefixPath: URL-path characters only, nothing that ends an attribute.
      const body = Buffer.from(this.indexTemplate!.split(PREFIX_PLACEHOLDER).join(prefix.replace(/&/g, '&amp;').replace(/'/g, '&#39;')))
      a = {body, type: CONTENT_TYPES['.html']!, gzipped: undefined}
      if (this.indexCache.size < 64) this.indexCache.set(prefix, a)
    }
    return a
  }

  private send(req: IncomingMessage, res: ServerResponse, a: Asset, cacheControl: string): void {
    const gz = a.gzipped !== null && acceptsGzip(req)
    if (gz) a.gzipped ??= gzipSync(a.body)
    const body = gz ? a.gzipped! : a.body
    const headers: Record<string, string | number> = {'content-type': a.type, 'content-length': body.length, 'cache-control': cacheControl, vary: 'Accept-Encoding', 'x-content-type-options': 'nosniff'}
    if (gz) headers['content-encoding'] = 'gzip'
    res.writeHead(200, headers)
    res.end(req.method === 'HEAD' ? undefined : body)
  }
}
