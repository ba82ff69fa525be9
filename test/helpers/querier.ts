/**
 * Our querier in-process over given StoreAPI endpoints, on free loopback ports, ready once it
 * sees them all:
 *   const q = await startQuerier([`127.0.0.1:${sc.grpcPort}`], {replicaLabels: ['replica']})
 *   ... `http://127.0.0.1:${q.httpPort}` ...
 *   await q.lifecycle.stop()
 */
import {nopLogger} from '../../src/core/log.js'
import {querierConfig, runQuerier, type QuerierConfig, type RunningQuerier} from '../../src/core/query/querier.js'

/** Short health checks and grace periods, so tests start and stop quickly. */
const TEST_DEFAULTS: Partial<QuerierConfig> = {infoTimeoutMs: 2_000, endpointCheckIntervalMs: 1_000, httpGracePeriodMs: 300, grpcGracePeriodMs: 300}

export async function startQuerier(endpoints: string[], overrides: Partial<QuerierConfig> = {}): Promise<RunningQuerier> {
  const q = await runQuerier(querierConfig(endpoints, nopLogger, {...TEST_DEFAULTS, ...overrides}))
  try {
    await waitForStores(q, endpoints.length)
  } catch (e) {
    await q.lifecycle.stop()
    throw e
  }
  return q
}

/** Waits until the querier has `n` healthy StoreAPI endpoints. */
export async function waitForStores(q: RunningQuerier, n: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (q.endpoints.storeRefs().length < n) {
    if (Date.now() > deadline) throw new Error(`the querier sees ${q.endpoints.storeRefs().length} stores, want ${n}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
