/**
 * `GET /api/v1/blocks` of the store's HTTP port (thanos pkg/api/blocks/v1.go, registered by
 * cmd/thanos/store.go unless --web.disable): with `?view=loaded` the metas of the last sync's
 * view (what the filters kept), refreshed at every sync; without it the "global" view, which a
 * store never fills (only `thanos tools bucket web` does), so it stays empty as upstream's.
 * The metas are Thanos's meta.json marshalling (formatMeta), compact as Go's json.Marshal.
 * The admin endpoint (POST /api/v1/blocks/mark) is not served.
 */
import type {IncomingMessage, ServerResponse} from 'node:http'
import {formatMeta, type BlockMeta} from '../block/meta.js'
import {compareStrings} from '../labels/labels.js'

interface BlocksInfo {
  blocks: BlockMeta[]
  refreshedAt: Date | undefined
  err: boolean
}

export class BlocksApi {
  private readonly loaded: BlocksInfo = {blocks: [], refreshedAt: undefined, err: false}

  /** --bucket-web-label */
  constructor(private readonly label: string) {}

  /** After each sync (fetcher.go UpdateOnChange): a failed one keeps the blocks and records the error. */
  setLoaded(blocks: readonly BlockMeta[] | undefined, failed: boolean): void {
    this.loaded.refreshedAt = new Date()
    this.loaded.err = failed
    if (!failed && blocks) this.loaded.blocks = [...blocks].sort((a, b) => compareStrings(a.ulid, b.ulid))
  }

  /** Handles the path, or returns false for others. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    if (url.pathname !== '/api/v1/blocks') return false
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, {'content-type': 'text/plain', allow: 'GET'})
      res.end('method not allowed')
      return true
    }
    const info: BlocksInfo = url.searchParams.get('view') === 'loaded' ? this.loaded : {blocks: [], refreshedAt: undefined, err: false}
    // Go marshals the zero time.Time as 0001-01-01T00:00:00Z and a non-nil error interface as {}.
    const data = `{"label":${JSON.stringify(this.label)},"blocks":[${info.blocks.map((m) => JSON.stringify(JSON.parse(formatMeta(m)))).join(',')}],"refreshedAt":${JSON.stringify(info.refreshedAt?.toISOString() ?? '0001-01-01T00:00:00Z')},"err":${info.err ? '{}' : 'null'}}`
    const body = `{"status":"success","data":${data}}`
    res.writeHead(200, {'content-type': 'application/json'})
    res.end(req.method === 'HEAD' ? undefined : body)
    return true
  }
}
