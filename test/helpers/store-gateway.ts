/**
 * Our store gateway in-process over a test bucket, on free loopback ports:
 *   const gw = await runStoreGateway(storeGatewayConfig({bucket}))   // gw.grpcPort, gw.httpPort
 *   await gw.lifecycle.stop()
 * Test defaults: short grace periods, no periodic resync within a test (1 h), every block's
 * time range, no limits, no log.
 */
import {nopLogger} from '../../src/core/log.js'
import type {StoreGatewayConfig} from '../../src/core/storegateway/store-gateway.js'
import {parseTimeOrDuration} from '../../src/core/storegateway/time-or-duration.js'

export function storeGatewayConfig(overrides: Partial<StoreGatewayConfig>): StoreGatewayConfig {
  return {
    grpcAddress: '127.0.0.1:0',
    httpAddress: '127.0.0.1:0',
    grpcGracePeriodMs: 300,
    httpGracePeriodMs: 300,
    syncIntervalMs: 3_600_000,
    blockSyncConcurrency: 4,
    blockMetaFetchConcurrency: 8,
    minTime: parseTimeOrDuration('0000-01-01T00:00:00Z'),
    maxTime: parseTimeOrDuration('9999-12-31T23:59:59Z'),
    consistencyDelayMs: 0,
    ignoreDeletionMarksDelayMs: 24 * 3_600_000,
    seriesLimit: 0,
    samplesLimit: 0,
    logger: nopLogger,
    ...overrides,
  }
}
