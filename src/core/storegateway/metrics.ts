/**
 * The store gateway's metrics, named as Thanos's (pkg/store/bucket.go bucketStoreMetrics,
 * pkg/block/fetcher.go FetcherMetrics), so dashboards and alerts written for `thanos store`
 * work unchanged. Only the ones thanosts has a meaning for are here.
 */
import {Counter, Gauge, Histogram, type Registry} from 'prom-client'
import {SYNCED_STATES, type SyncedState} from './meta-fetcher.js'

export interface StoreGatewayMetrics {
  blockLoads: Counter
  blockLoadFailures: Counter
  blockDrops: Counter
  blockDropFailures: Counter
  blocksLoaded: Gauge
  lastLoadedBlock: Gauge
  blockLoadDuration: Histogram
  metaSyncs: Counter
  metaSyncFailures: Counter
  metaSyncDuration: Histogram
  metaSynced: Gauge<'state'>
  seriesBlocksQueried: Histogram
  queriesDropped: Counter<'reason'>
}

export function storeGatewayMetrics(registry: Registry): StoreGatewayMetrics {
  const registers = [registry]
  const metaSynced = new Gauge({name: 'thanos_blocks_meta_synced', help: 'Number of block metadata synced', labelNames: ['state'], registers})
  for (const s of SYNCED_STATES) metaSynced.set({state: s}, 0)
  const queriesDropped = new Counter({name: 'thanos_bucket_store_queries_dropped_total', help: 'Number of queries that were dropped due to the limit.', labelNames: ['reason'], registers})
  for (const r of ['series', 'chunks']) queriesDropped.inc({reason: r}, 0)
  return {
    blockLoads: new Counter({name: 'thanos_bucket_store_block_loads_total', help: 'Total number of remote block loading attempts.', registers}),
    blockLoadFailures: new Counter({name: 'thanos_bucket_store_block_load_failures_total', help: 'Total number of failed remote block loading attempts.', registers}),
    blockDrops: new Counter({name: 'thanos_bucket_store_block_drops_total', help: 'Total number of local blocks that were dropped.', registers}),
    blockDropFailures: new Counter({name: 'thanos_bucket_store_block_drop_failures_total', help: 'Total number of local blocks that failed to be dropped.', registers}),
    blocksLoaded: new Gauge({name: 'thanos_bucket_store_blocks_loaded', help: 'Number of currently loaded blocks.', registers}),
    lastLoadedBlock: new Gauge({name: 'thanos_bucket_store_blocks_last_loaded_timestamp_seconds', help: 'Timestamp when last block got loaded.', registers}),
    blockLoadDuration: new Histogram({
      name: 'thanos_bucket_store_block_load_duration_seconds',
      help: 'The total time taken to load a block in seconds.',
      buckets: [0.1, 0.2, 0.5, 1, 2, 5, 15, 30, 60, 90, 120, 300],
      registers,
    }),
    metaSyncs: new Counter({name: 'thanos_blocks_meta_syncs_total', help: 'Total blocks metadata synchronization attempts', registers}),
    metaSyncFailures: new Counter({name: 'thanos_blocks_meta_sync_failures_total', help: 'Total blocks metadata synchronization failures', registers}),
    metaSyncDuration: new Histogram({
      name: 'thanos_blocks_meta_sync_duration_seconds',
      help: 'Duration of the blocks metadata synchronization in seconds',
      buckets: [0.01, 1, 10, 100, 300, 600, 1000],
      registers,
    }),
    metaSynced,
    seriesBlocksQueried: new Histogram({
      name: 'thanos_bucket_store_series_blocks_queried',
      help: 'Number of blocks in a bucket store that were touched to satisfy a query.',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers,
    }),
    queriesDropped,
  }
}

export function setSynced(m: StoreGatewayMetrics, synced: Record<SyncedState, number>): void {
  for (const s of SYNCED_STATES) m.metaSynced.set({state: s}, synced[s])
}
