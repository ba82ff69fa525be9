/**
 * A node:http server with the endpoints every component has (/metrics, /-/healthy, /-/ready)
 * and room for more routes. Probes answer `OK` / `NOT OK` as Thanos's prober does.
 */
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import type {Registry} from 'prom-client'
import type {Logger} from '../log.js'
import type {Prober} from './prober.js'

export type HttpHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>

export interface HttpServerOptions {
  address: string
  registry: Registry
  prober: Prober
  logger: Logger
  /** Called for paths other than the built-in ones; answer 404 when it does not handle them. */
  handler?: HttpHandler
}

export function parseHostPort(address: string): {host: string; port: number} {
  const i = address.lastIndexOf(':')
  if (i < 0) throw new Error(`address ${JSON.stringify(address)} must be HOST:PORT`)
  const host = address.slice(0, i).replace(/^\[(.*)\]$/, '$1') || '0.0.0.0'
  const port = Number(address.slice(i + 1))
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port in address ${JSON.stringify(address)}`)
  return {host, port}
}

export class HttpServer {
  readonly server: Server

  constructor(private readonly opts: HttpServerOptions) {
    this.server = createServer((req, res) => {
      void this.route(req, res).catch((e: unknown) => {
        opts.logger.error('HTTP handler failed', {path: req.url, err: e})
        if (!res.headersSent) res.writeHead(500, {'content-type': 'text/plain'})
        res.end('internal error')
      })
    })
    this.server.keepAliveTimeout = 65_000
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    switch (url.pathname) {
      case '/metrics': {
        const body = await this.opts.registry.metrics()
        res.writeHead(200, {'content-type': this.opts.registry.contentType})
        res.end(body)
        return
      }
      case '/-/healthy':
        res.writeHead(this.opts.prober.isHealthy() ? 200 : 503, {'content-type': 'text/plain'})
        res.end(this.opts.prober.isHealthy() ? 'OK' : 'NOT OK')
        return
      case '/-/ready':
        res.writeHead(this.opts.prober.isReady() ? 200 : 503, {'content-type': 'text/plain'})
        res.end(this.opts.prober.isReady() ? 'OK' : `NOT OK: ${this.opts.prober.notReadyReason()}`)
        return
    }
    if (this.opts.handler) return this.opts.handler(req, res, url)
    res.writeHead(404, {'content-type': 'text/plain'})
    res.end('not found')
  }

  async listen(): Promise<AddressInfo> {
    const {host, port} = parseHostPort(this.opts.address)
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, host, () => {
        this.server.off('error', reject)
        resolve()
      })
    })
    this.opts.prober.setHealthy()
    return this.server.address() as AddressInfo
  }

  /** Stops accepting, lets in-flight requests finish up to `graceMs`, then closes the rest. */
  async close(graceMs: number): Promise<void> {
    await new Promise<void>((resolve) => {
      // Keep-alive connections whose request finishes during the grace period become idle but
      // would hold close() open until the grace ends: sweep idle connections until closed.
      const sweep = setInterval(() => this.server.closeIdleConnections(), 50)
      const t = setTimeout(() => {
        clearInterval(sweep)
        this.server.closeAllConnections()
        resolve()
      }, graceMs)
      this.server.close(() => {
        clearTimeout(t)
        clearInterval(sweep)
        resolve()
      })
      this.server.closeIdleConnections()
    })
  }
}
