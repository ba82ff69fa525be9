/**
 * Our sidecar in-process in front of a test Prometheus, on free loopback ports:
 *   const sc = await startSidecar(prom)       // sc.grpcPort, sc.httpPort
 *   await sc.lifecycle.stop()
 */
import {nopLogger} from '../../src/core/log.js'
import {MIN_INT64} from '../../src/core/prometheus/prometheus-client.js'
import {runSidecar, type RunningSidecar, type SidecarConfig} from '../../src/core/sidecar/sidecar.js'

export function startSidecar(prom: {url: string}, overrides: Partial<SidecarConfig> = {}): Promise<RunningSidecar> {
  return runSidecar({
    prometheusUrl: prom.url,
    grpcAddress: '127.0.0.1:0',
    httpAddress: '127.0.0.1:0',
    readyTimeoutMs: 30_000,
    getConfigIntervalMs: 5_000,
    getConfigTimeoutMs: 5_000,
    grpcGracePeriodMs: 500,
    httpGracePeriodMs: 500,
    minTime: MIN_INT64,
    reloader: {ruleDirs: [], watchIntervalMs: 0, retryIntervalMs: 1000},
    logger: nopLogger,
    ...overrides,
  })
}
