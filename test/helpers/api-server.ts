/**
 * Our Prometheus HTTP API alone (no querier, no stores) over an in-memory queryable holding the
 * given series, on a free loopback port: the engine under test behind the same handler as the
 * querier's, to compare its answers with a real Prometheus started on the same data.
 *   const api = await serveApi(new Engine({maxSamples: 1000}), data)   // api.url
 *   await api.close()
 */
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {PrometheusApi} from '../../src/core/api/api.js'
import {labelsFromRecord} from '../../src/core/labels/labels.js'
import {nopLogger} from '../../src/core/log.js'
import type {Engine} from '../../src/core/promql/engine/engine.js'
import {MemoryQueryable} from '../../src/core/promql/memory-queryable.js'
import type {SeriesSpec} from './openmetrics.js'

export async function serveApi(engine: Engine, data: readonly SeriesSpec[]): Promise<{url: string; close(): Promise<void>}> {
  const q = new MemoryQueryable()
  for (const s of data) q.add(labelsFromRecord({__name__: s.metric, ...s.labels}), s.samples.map(([t]) => t), s.samples.map(([, v]) => v))
  const api = new PrometheusApi({
    engine,
    queryable: () => q,
    defaults: {replicaLabels: [], partialResponse: false, queryTimeoutMs: 30_000},
    flags: {},
    buildInfo: {},
    logger: nopLogger,
  })
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    void api.handle(req, res, url, url.pathname)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
