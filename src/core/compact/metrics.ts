/**
 * The compactor's metrics, named as Thanos's (cmd/thanos/compact.go compactMetrics,
 * pkg/compact/compact.go group and syncer metrics, pkg/block/fetcher.go), so dashboards and
 * the usual alert on thanos_compact_halted work unchanged.
 */
import {Counter, Gauge, Histogram, type Registry} from 'prom-client'
import type {DownsampleMetrics} from './downsample-bucket.js'
import {SYNCED_STATES, type SyncedState} from '../storegateway/meta-fetcher.js'

export interface CompactMetrics {
  halted: Gauge
  retried: Counter
  iterations: Counter
  cleanups: Counter
  partialUploadDeleteAttempts: Counter
  blocksCleaned: Counter
  blockCleanupFailures: Counter
  blocksMarkedForDeletion: Counter
  garbageCollectedBlocks: Counter
  downsample: DownsampleMetrics
  compactions: Counter<'resolution'>
  compactionRunsStarted: Counter<'resolution'>
  compactionRunsCompleted: Counter<'resolution'>
  compactionFailures: Counter<'resolution'>
  verticalCompactions: Counter<'resolution'>
  metaSynced: Gauge<'state'>
  setSynced(s: Record<SyncedState, number>): void
}

export function compactMetrics(registry: Registry, deleteDelayMs: number): CompactMetrics {
  const registers = [registry]
  new Gauge({name: 'thanos_delete_delay_seconds', help: 'Configured delete delay in seconds.', registers}).set(deleteDelayMs / 1000)
  const halted = new Gauge({name: 'thanos_compact_halted', help: 'Set to 1 if the compactor halted due to an unexpected error.', registers})
  halted.set(0)
  const marked = new Counter({name: 'thanos_compact_blocks_marked_total', help: 'Total number of blocks marked in compactor.', labelNames: ['marker', 'reason'], registers})
  marked.inc({marker: 'no-compact-mark.json', reason: 'block-index-out-of-order-chunk'}, 0)
  marked.inc({marker: 'no-compact-mark.json', reason: 'index-size-exceeding'}, 0)
  const deletion = marked.labels('deletion-mark.json', '')
  deletion.inc(0)
  const perRes = (name: string, help: string): Counter<'resolution'> => {
    const c = new Counter({name, help, labelNames: ['resolution'], registers})
    c.inc({resolution: '0'}, 0)
    return c
  }
  const metaSynced = new Gauge({name: 'thanos_blocks_meta_synced', help: 'Number of block metadata synced', labelNames: ['state'], registers})
  for (const s of SYNCED_STATES) metaSynced.set({state: s}, 0)
  return {
    halted,
    retried: new Counter({name: 'thanos_compact_retries_total', help: 'Total number of retries after retriable compactor error.', registers}),
    iterations: new Counter({name: 'thanos_compact_iterations_total', help: 'Total number of iterations that were executed successfully.', registers}),
    cleanups: new Counter({name: 'thanos_compact_block_cleanup_loops_total', help: 'Total number of concurrent cleanup loops of partially uploaded blocks and marked blocks that were executed successfully.', registers}),
    partialUploadDeleteAttempts: new Counter({
      name: 'thanos_compact_aborted_partial_uploads_deletion_attempts_total',
      help: 'Total number of started deletions of blocks that are assumed aborted and only partially uploaded.',
      registers,
    }),
    blocksCleaned: new Counter({name: 'thanos_compact_blocks_cleaned_total', help: 'Total number of blocks deleted in compactor.', registers}),
    blockCleanupFailures: new Counter({name: 'thanos_compact_block_cleanup_failures_total', help: 'Failures encountered while deleting blocks in compactor.', registers}),
    // A Counter child has inc() only; that is all the callers need.
    blocksMarkedForDeletion: deletion as unknown as Counter,
    garbageCollectedBlocks: new Counter({name: 'thanos_compact_garbage_collected_blocks_total', help: 'Total number of blocks marked for deletion by compactor.', registers}),
    compactions: perRes('thanos_compact_group_compactions_total', 'Total number of group compaction attempts that resulted in a new block.'),
    compactionRunsStarted: perRes('thanos_compact_group_compaction_runs_started_total', 'Total number of group compaction attempts.'),
    compactionRunsCompleted: perRes('thanos_compact_group_compaction_runs_completed_total', 'Total number of group completed compaction runs. This also includes compactor group runs that resulted with no compaction.'),
    compactionFailures: perRes('thanos_compact_group_compactions_failures_total', 'Total number of failed group compactions.'),
    verticalCompactions: perRes('thanos_compact_group_vertical_compactions_total', 'Total number of group compaction attempts that resulted in a new block based on overlapping blocks.'),
    downsample: downsampleMetrics(registers),
    metaSynced,
    setSynced(s) {
      for (const k of SYNCED_STATES) metaSynced.set({state: k}, s[k])
    },
  }
}

/** cmd/thanos/downsample.go newDownsampleMetrics; the resolution label is the input block's. */
function downsampleMetrics(registers: Registry[]): DownsampleMetrics {
  const attempts = new Counter({name: 'thanos_compact_downsample_total', help: 'Total number of downsampling attempts.', labelNames: ['resolution'], registers})
  const failures = new Counter({name: 'thanos_compact_downsample_failures_total', help: 'Total number of failed downsampling attempts.', labelNames: ['resolution'], registers})
  const duration = new Histogram({name: 'thanos_compact_downsample_duration_seconds', help: 'Duration of downsample runs', labelNames: ['resolution'], buckets: [60, 300, 900, 1800, 3600, 7200, 14400], registers})
  return {
    touch(resolution) {
      attempts.inc({resolution}, 0)
      failures.inc({resolution}, 0)
    },
    attempt: (resolution) => attempts.inc({resolution}),
    failure: (resolution) => failures.inc({resolution}),
    duration: (resolution, seconds) => duration.observe({resolution}, seconds),
  }
}

export interface ProgressMetrics {
  todoCompactions: Gauge
  todoCompactionBlocks: Gauge
  todoDeletionBlocks: Gauge
  /** Absent with --downsampling.disable, as upstream registers it only with downsampling on. */
  todoDownsampleBlocks?: Gauge
}

/**
 * The --compact.progress-interval gauges (pkg/compact/compact.go NewCompactionProgressCalculator,
 * NewRetentionProgressCalculator, NewDownsampleProgressCalculator): registered only when the
 * progress loop runs (--wait and a non-zero interval), as upstream.
 */
export function progressMetrics(registry: Registry, downsampling: boolean): ProgressMetrics {
  const registers = [registry]
  return {
    todoCompactions: new Gauge({name: 'thanos_compact_todo_compactions', help: 'number of compactions to be done', registers}),
    todoCompactionBlocks: new Gauge({name: 'thanos_compact_todo_compaction_blocks', help: 'number of blocks planned to be compacted', registers}),
    todoDeletionBlocks: new Gauge({name: 'thanos_compact_todo_deletion_blocks', help: 'number of blocks that have crossed their retention period', registers}),
    todoDownsampleBlocks: downsampling ? new Gauge({name: 'thanos_compact_todo_downsample_blocks', help: 'number of blocks to be downsampled', registers}) : undefined,
  }
}
