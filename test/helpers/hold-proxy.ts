/**
 * An HTTP forwarding proxy on loopback for tests that need to see or stall the requests a
 * client sends to a real server (an S3 gateway): every request is forwarded unchanged and
 * streamed both ways, and recorded; requests matching a `hold` predicate are not forwarded and
 * get no answer, which lets a test stop or kill the client at a known point of a multi-request
 * operation (an upload between its chunks and its meta.json). It is network plumbing, not a
 * stand-in: whatever it forwards is answered by the real server.
 *
 *   const proxy = await startHoldProxy(s3.endpoint)
 *   const held = proxy.hold((r) => r.method === 'PUT' && r.url.endsWith('/index'))
 *   ... client uses proxy.endpoint ...
 *   await held          // the matching request arrived and hangs
 *   proxy.release()     // drop held requests (their clients see the connection close)
 *   await proxy.close()
 */
import http from 'node:http'
import type {AddressInfo} from 'node:net'

export interface ProxiedRequest {
  method: string
  /** Path and query, as sent. */
  url: string
  /** When the request's head arrived (ms since the epoch). */
  at: number
  /** Answer status, once forwarded and answered. */
  status?: number
}

export interface HoldProxy {
  /** host:port to give the client instead of the server's. */
  readonly endpoint: string
  readonly requests: ProxiedRequest[]
  /** Holds every later request matching `pred`; resolves with the first one held. */
  hold(pred: (r: ProxiedRequest) => boolean): Promise<ProxiedRequest>
  /** Stops holding and closes the connections of the requests held so far. */
  release(): void
  /** Retargets to another server (host:port). */
  retarget(endpoint: string): void
  close(): Promise<void>
}

export async function startHoldProxy(target: string): Promise<HoldProxy> {
  let [host, port] = target.split(':') as [string, string]
  const requests: ProxiedRequest[] = []
  let holding: {pred: (r: ProxiedRequest) => boolean; resolve: (r: ProxiedRequest) => void} | undefined
  const held: http.IncomingMessage[] = []
  const server = http.createServer((req, res) => {
    const r: ProxiedRequest = {method: req.method ?? '', url: req.url ?? '', at: Date.now()}
    requests.push(r)
    if (holding?.pred(r)) {
      held.push(req)
      // Keep reading the body so the client is not stopped by flow control, but never answer.
      req.resume()
      holding.resolve(r)
      return
    }
    const up = http.request({host, port: Number(port), method: req.method, path: req.url, headers: req.headers}, (ur) => {
      r.status = ur.statusCode
      res.writeHead(ur.statusCode ?? 502, ur.headers)
      ur.pipe(res)
    })
    up.on('error', () => res.destroy())
    req.on('error', () => up.destroy())
    req.pipe(up)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const endpoint = `127.0.0.1:${(server.address() as AddressInfo).port}`
  const release = (): void => {
    holding = undefined
    for (const req of held.splice(0)) req.socket.destroy()
  }
  return {
    endpoint,
    requests,
    hold(pred) {
      return new Promise((resolve) => {
        holding = {pred, resolve}
      })
    },
    release,
    retarget(e) {
      ;[host, port] = e.split(':') as [string, string]
    },
    async close() {
      release()
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
    },
  }
}
