/**
 * --compact.progress-interval and --compact.blocks-fetch-concurrency through runCompact over a
 * FILESYSTEM bucket of promtool blocks. The bucket is the real one behind a pass-through that
 * can hold uploads (so the first iteration is caught before it writes anything) or slow reads
 * down (so the blocks a plan opens at once can be seen); every call reaches the real bucket.
 *
 * Progress: 40 2h blocks over 80h, one group. Upstream's simulation (pkg/compact/compact.go
 * CompactionProgressCalculator) plans 0-8h ... 64-72h (9 × 4 blocks; 72-80h is never full),
 * then by the 2d ranges, which are aligned to the epoch and so start at T0-24h: 0-8h..16-24h
 * (3 blocks, ending before the newest block). There it stops: the blocks it made share one ULID
 * and are removed by it, so planning three of them drops all nine (upstream's behaviour, which
 * `thanos compact` shows: test/commands/compact.test.ts compares). 10 compactions of 39 blocks.
 * With --retention.resolution-raw 2d every block (from 2024) is past retention: 40. After the
 * run (which compacts 0-72h fully: 24-72h, then 0-24h with it by the 14d range ending at
 * T0+72h): nothing to compact; the five blocks left (0-72h, four 2h) are past retention (marked
 * by it, still seen until delete-delay/2), and nothing to downsample: the 72h raw block got its
 * 5m copy in the run (which spans less than 10d, so no 1h one is due).
 */
import assert from 'node:assert/strict'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {createLogger, nopLogger} from '../../../src/core/log.js'
import type {Bucket, BucketCallOptions, IterOptions, ObjectAttributes} from '../../../src/core/objstore/bucket.js'
import {FilesystemBucket} from '../../../src/core/objstore/filesystem.js'
import {runCompact, type CompactConfig, type RunningCompactor} from '../../../src/core/compact/run.js'
import {uploadBackfilled} from '../../helpers/bucket-blocks.js'
import {samples} from '../../helpers/openmetrics.js'

const HOUR = 3_600_000
const T0 = Date.UTC(2024, 0, 1)

/** The real bucket, with uploads that can be held and reads that can be slowed and watched. */
class PassThroughBucket implements Bucket {
  readonly name: string
  private gate: Promise<void> | undefined
  private open: (() => void) | undefined
  readDelayMs = 0
  /** When each block's index was first read. */
  readonly firstIndexRead = new Map<string, number>()

  constructor(private readonly b: Bucket) {
    this.name = b.name
  }

  holdUploads(): void {
    this.gate = new Promise((resolve) => (this.open = resolve))
  }

  releaseUploads(): void {
    this.open?.()
    this.gate = undefined
  }

  private async read<T>(key: string, f: () => Promise<T>): Promise<T> {
    const m = /^([0-9A-Z]{26})\/index$/.exec(key)
    if (!m) return f()
    if (!this.firstIndexRead.has(m[1]!)) this.firstIndexRead.set(m[1]!, Date.now())
    if (this.readDelayMs > 0) await new Promise((r) => setTimeout(r, this.readDelayMs))
    return f()
  }

  /** Blocks whose index was first read within `windowMs` of the first block's. */
  openedTogether(windowMs: number): number {
    const t = [...this.firstIndexRead.values()]
    const first = Math.min(...t)
    return t.filter((x) => x - first < windowMs).length
  }

  iter(dir: string, opts?: IterOptions): AsyncIterable<string> {
    return this.b.iter(dir, opts)
  }
  get(key: string, opts?: BucketCallOptions): Promise<Buffer> {
    return this.read(key, () => this.b.get(key, opts))
  }
  getRange(key: string, offset: number, length: number, opts?: BucketCallOptions): Promise<Buffer> {
    return this.read(key, () => this.b.getRange(key, offset, length, opts))
  }
  exists(key: string, opts?: BucketCallOptions): Promise<boolean> {
    return this.b.exists(key, opts)
  }
  attributes(key: string, opts?: BucketCallOptions): Promise<ObjectAttributes> {
    return this.b.attributes(key, opts)
  }
  async upload(key: string, body: Buffer | NodeJS.ReadableStream, opts?: BucketCallOptions & {size?: number}): Promise<void> {
    if (this.gate) await this.gate
    return this.b.upload(key, body, opts)
  }
  delete(key: string, opts?: BucketCallOptions): Promise<void> {
    return this.b.delete(key, opts)
  }
  close(): Promise<void> {
    return this.b.close()
  }
}

function config(bucket: Bucket, dataDir: string, extra: Partial<CompactConfig>): CompactConfig {
  return {
    bucket,
    dataDir,
    httpAddress: '127.0.0.1:0',
    httpGracePeriodMs: 0,
    wait: false,
    waitIntervalMs: 3_600_000,
    consistencyDelayMs: 0,
    retention: {raw: 0, fiveMinutes: 0, oneHour: 0},
    downsamplingDisabled: true,
    replicaLabels: [],
    dedupFunc: '',
    deleteDelayMs: 48 * HOUR,
    concurrency: 1,
    blockMetaFetchConcurrency: 32,
    hashFunc: '',
    logger: process.env.DEBUG_COMPACT ? createLogger({level: 'debug'}) : nopLogger,
    ...extra,
  }
}

async function gauge(r: RunningCompactor, name: string): Promise<number | undefined> {
  const m = r.registry.getSingleMetric(name)
  if (!m) return undefined
  return (await m.get()).values[0]?.value
}

async function until(what: string, f: () => Promise<boolean>, extra?: () => Promise<unknown>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${extra ? `: ${JSON.stringify(await extra())}` : ''}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function todo(r: RunningCompactor): Promise<Record<string, number | undefined>> {
  return {
    compactions: await gauge(r, 'thanos_compact_todo_compactions'),
    blocks: await gauge(r, 'thanos_compact_todo_compaction_blocks'),
    deletion: await gauge(r, 'thanos_compact_todo_deletion_blocks'),
    downsample: await gauge(r, 'thanos_compact_todo_downsample_blocks'),
  }
}

describe('thanosts compact: --compact.progress-interval (thanos_compact_todo_*), --compact.blocks-fetch-concurrency', function () {
  this.timeout(300_000)
  let root: string
  let fs: FilesystemBucket

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'thanosts-compact-progress-'))
    fs = new FilesystemBucket({directory: path.join(root, 'bucket')})
    await uploadBackfilled(fs, {
      series: [
        {metric: 'm', samples: samples(T0, 300_000, (80 * HOUR) / 300_000, (i) => i)},
        // The last millisecond of each 2h block, so every block spans its whole range.
        {metric: 'edge', samples: Array.from({length: 40}, (_, k) => [T0 + (k + 1) * 2 * HOUR - 1, k] as [number, number])},
      ],
      ext: {cluster: 'a'},
    })
  })

  after(() => rm(root, {recursive: true, force: true}))

  it('before and after a run: the todo gauges as upstream computes them; absent without --wait', async () => {
    const empty = new FilesystemBucket({directory: path.join(root, 'empty')})
    const once = await runCompact(config(empty, path.join(root, 'd0'), {wait: false, progressIntervalMs: 100}))
    await once.done
    await once.lifecycle.stop()
    assert.equal(once.registry.getSingleMetric('thanos_compact_todo_compactions'), undefined, 'no progress loop without --wait')

    const bucket = new PassThroughBucket(fs)
    bucket.holdUploads()
    const r = await runCompact(config(bucket, path.join(root, 'd1'), {wait: true, progressIntervalMs: 100, downsamplingDisabled: false, retention: {raw: 48 * HOUR, fiveMinutes: 0, oneHour: 0}}))
    try {
      await until('the progress before the run', async () => (await gauge(r, 'thanos_compact_todo_compactions')) === 10, () => todo(r))
      assert.deepEqual(await todo(r), {compactions: 10, blocks: 39, deletion: 40, downsample: 0})
      assert.equal(await gauge(r, 'thanos_compact_iterations_total'), 0, 'the iteration is held at its first upload')
      bucket.releaseUploads()
      await until('the first iteration', async () => (await gauge(r, 'thanos_compact_iterations_total')) === 1)
      // a progress pass may have run inside the iteration (after its compactions, before its
      // downsampling): wait for one over the finished bucket, all four gauges at once
      const after = {compactions: 0, blocks: 0, deletion: 5, downsample: 0}
      await until('the progress after the run', async () => JSON.stringify(await todo(r)) === JSON.stringify(after), () => todo(r))
      assert.deepEqual(await todo(r), after)
    } finally {
      bucket.releaseUploads()
      await r.lifecycle.stop()
    }
  })

  it('--compact.progress-interval=0s: no progress gauges; --downsampling.disable: no downsample gauge', async () => {
    const empty = new FilesystemBucket({directory: path.join(root, 'empty')})
    const off = await runCompact(config(empty, path.join(root, 'd2'), {wait: true, progressIntervalMs: 0}))
    try {
      assert.equal(off.registry.getSingleMetric('thanos_compact_todo_compactions'), undefined)
    } finally {
      await off.lifecycle.stop()
    }
    const noDs = await runCompact(config(empty, path.join(root, 'd3'), {wait: true, progressIntervalMs: 100, downsamplingDisabled: true}))
    try {
      assert.ok(noDs.registry.getSingleMetric('thanos_compact_todo_compactions'))
      assert.equal(noDs.registry.getSingleMetric('thanos_compact_todo_downsample_blocks'), undefined)
    } finally {
      await noDs.lifecycle.stop()
    }
  })

  // Every index read takes 200ms more, so a block opened after another starts 200ms or more
  // after it; blocks opened together start their reads within the same moment.
  it('--compact.blocks-fetch-concurrency: how many input blocks of a plan are opened at once', async () => {
    const seen: number[] = []
    for (const n of [1, 3]) {
      // A fresh copy of the 2h blocks each time: the first plan is four 2h blocks.
      const dir = path.join(root, `fetch-${n}`)
      const b = new FilesystemBucket({directory: dir})
      await uploadBackfilled(b, {series: [{metric: 'm', samples: samples(T0, 300_000, (10 * HOUR) / 300_000, (i) => i)}, {metric: 'edge', samples: Array.from({length: 5}, (_, k) => [T0 + (k + 1) * 2 * HOUR - 1, k] as [number, number])}], ext: {cluster: 'a'}})
      const bucket = new PassThroughBucket(b)
      bucket.readDelayMs = 200
      const r = await runCompact(config(bucket, path.join(root, `df-${n}`), {blocksFetchConcurrency: n}))
      await r.done
      await r.lifecycle.stop()
      assert.equal(await gauge(r, 'thanos_compact_group_compactions_total'), 1)
      seen.push(bucket.openedTogether(100))
    }
    assert.deepEqual(seen, [1, 3])
  })
})
