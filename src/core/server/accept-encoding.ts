/**
 * Whether a request's Accept-Encoding admits gzip: `gzip` or `*` with a non-zero quality
 * (RFC 9110 §12.5.3), so `gzip;q=0` is a refusal, not an acceptance.
 */
import type {IncomingMessage} from 'node:http'

export function acceptsGzip(req: IncomingMessage): boolean {
  const header = req.headers['accept-encoding']
  if (header === undefined) return false
  let gzip: number | undefined
  let any: number | undefined
  for (const part of String(header).split(',')) {
    const [name = '', ...params] = part.split(';').map((x) => x.trim().toLowerCase())
    const q = params.find((p) => p.startsWith('q='))
    const quality = q === undefined ? 1 : Number(q.slice(2))
    if (name === 'gzip' || name === 'x-gzip') gzip = quality
    else if (name === '*') any = quality
  }
  const quality = gzip ?? any ?? 0
  return quality > 0
}
