/**
 * Vertical compaction of native histogram series (integer and float histograms): two replicas'
 * blocks, written by our block writer and shipped with replica="a" / replica="b", each with a
 * 20-minute gap elsewhere. With `--deduplication.func` '' the result holds every histogram of
 * both once, as the real thanos compact's (compared sample by sample through a real thanos
 * store); with `penalty` each gap is filled from the other replica, every histogram is an input's
 * bucket for bucket, and at most the penalty's two samples per switch are missing. Where the
 * switches fall differs from thanos compact's (it restarts the penalty at each chunk seam), so
 * the two drop different samples at switches; their counts are compared, not their sets.
 */
import assert from 'node:assert/strict'
import {cp, mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {ChunkEncoding} from '../../../src/core/block/chunks-reader.js'
import {writeBlock} from '../../../src/core/block/writer/write-block.js'
import {encodeFloatHistogramChunks, encodeHistogramChunks, FloatHistogramDecodeIterator, HistogramDecodeIterator} from '../../../src/core/chunkenc/index.js'
import {Histogram} from '../../../src/core/histogram/histogram.js'
import {labelsToString} from '../../../src/core/labels/labels.js'
import {Matcher, MatchType} from '../../../src/core/labels/matcher.js'
import {nopLogger} from '../../../src/core/log.js'
import {FilesystemBucket} from '../../../src/core/objstore/filesystem.js'
import {uploadBlockDir} from '../../../src/core/shipper/upload.js'
import {StoreClient} from '../../../src/core/storeapi/store-client.js'
import {freePort} from '../../helpers/ports.js'
import {filesystemBucketYaml, runThanosCompact, runToEnd, startThanosStore, type RunResult, type ThanosStoreHandle} from '../../helpers/thanos-bucket.js'
import {BIN} from '../../helpers/cli.js'

const MIN = 60_000
const T0 = Date.UTC(2024, 0, 1)
const STEP = 15_000
const N = (120 * MIN) / STEP
const GAPS = {a: [20 * MIN, 40 * MIN], b: [70 * MIN, 90 * MIN]} as const
const COMMON = ['--consistency-delay=0s', '--downsampling.disable', '--delete-delay=0s', '--deduplication.replica-label=replica', '--log.level=debug']

function hist(i: number): Histogram {
  return Histogram.of({schema: 1, zeroThreshold: 0.001, zeroCount: i, count: 4 * i + 4, sum: i * 1.5, positiveSpans: [0, 2], positiveBuckets: [i + 1, 0], negativeSpans: [1, 1], negativeBuckets: [i + 2]})
}

/** A histogram sample as comparable text: counts and buckets (hints left out). */
function text(h: {count: number; sum: number; zeroCount: number; positiveBuckets: Float64Array; negativeBuckets: Float64Array}): string {
  return `${h.count}/${h.sum}/${h.zeroCount}/${[...h.positiveBuckets].join(',')}/${[...h.negativeBuckets].join(',')}`
}

type Samples = Map<string, [number, string][]>

async function storeHistograms(address: string): Promise<Samples> {
  const c = new StoreClient(address)
  try {
    const out: Samples = new Map()
    for await (const f of c.series({minTime: -1e15, maxTime: 1e15, matchers: [new Matcher(MatchType.RE, '__name__', '.+')], partialResponse: false}, new AbortController().signal)) {
      if (!f.series) continue
      const got: [number, string][] = []
      for (const ch of f.series.chunks) {
        assert.ok(ch.encoding === 1 || ch.encoding === 2, `histogram chunk, got encoding ${ch.encoding}`)
        const it = ch.encoding === 1 ? new HistogramDecodeIterator(ch.data) : new FloatHistogramDecodeIterator(ch.data)
        while (it.next()) got.push([it.atT(), text(it.atFloatHistogram())])
      }
      out.set(labelsToString(f.series.labels), got)
    }
    return out
  } finally {
    c.close()
  }
}

describe('thanosts compact: replicas of native histogram series', function () {
  this.timeout(600_000)
  let root: string
  const dirs = {input: '', penalty: '', penaltyThanos: '', chain: '', chainThanos: ''}
  const runs: Record<string, RunResult> = {}
  const stores: ThanosStoreHandle[] = []
  const got: Record<string, Samples> = {}
  const inputs: Record<'a' | 'b', number[]> = {a: [], b: []}

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'thanosts-compact-hist-'))
    for (const k of Object.keys(dirs) as (keyof typeof dirs)[]) dirs[k] = path.join(root, k)
    const bucket = new FilesystemBucket({directory: dirs.input})
    for (const r of ['a', 'b'] as const) {
      const idx = Array.from({length: N}, (_, i) => i).filter((i) => i * STEP < GAPS[r][0] || i * STEP >= GAPS[r][1])
      inputs[r] = idx
      const ts = idx.map((i) => T0 + i * STEP)
      const hs = idx.map(hist)
      const int = encodeHistogramChunks(ts, hs).map((c) => ({...c, encoding: ChunkEncoding.Histogram}))
      const flt = encodeFloatHistogramChunks(ts, hs.map((h) => h.toFloat())).map((c) => ({...c, encoding: ChunkEncoding.FloatHistogram}))
      const local = path.join(root, `local-${r}`)
      const m = await writeBlock(
        [
          {labels: [{name: '__name__', value: 'fh'}], chunks: flt},
          {labels: [{name: '__name__', value: 'h'}], chunks: int},
        ],
        {dir: local, minTime: T0, maxTime: T0 + 120 * MIN, thanos: {labels: {cluster: 'c1', replica: r}, source: 'sidecar'}},
      )
      await uploadBlockDir(path.join(local, m!.ulid), {bucket, hashFunc: '', concurrency: 1, logger: nopLogger})
    }
    for (const k of ['penalty', 'penaltyThanos', 'chain', 'chainThanos'] as const) await cp(dirs.input, dirs[k], {recursive: true})
    const compact = async (dir: string, extra: string[]): Promise<RunResult> =>
      runToEnd('node', [BIN, 'compact', `--objstore.config=${filesystemBucketYaml(dir)}`, `--data-dir=${path.join(dir, '..', `data-${path.basename(dir)}`)}`, `--http-address=127.0.0.1:${await freePort()}`, ...extra])
    runs.penalty = await compact(dirs.penalty, [...COMMON, '--deduplication.func=penalty'])
    runs.chain = await compact(dirs.chain, COMMON)
    runs.penaltyThanos = await runThanosCompact(dirs.penaltyThanos, [...COMMON, '--deduplication.func=penalty'])
    runs.chainThanos = await runThanosCompact(dirs.chainThanos, COMMON)
    for (const k of ['penalty', 'penaltyThanos', 'chain', 'chainThanos'] as const) {
      const s = await startThanosStore(dirs[k])
      stores.push(s)
      got[k] = await storeHistograms(s.grpcAddress)
    }
  })

  after(async () => {
    for (const s of stores) await s.stop()
    await rm(root, {recursive: true, force: true})
  })

  it('all runs exit 0', () => {
    for (const [k, r] of Object.entries(runs)) assert.equal(r.code, 0, `${k}: ${r.output}`)
  })

  it("'': every histogram of both replicas once, as thanos compact's result", () => {
    const union = [...new Set([...inputs.a, ...inputs.b])].sort((x, y) => x - y).map((i) => [T0 + i * STEP, text(hist(i).toFloat())] as [number, string])
    assert.equal(union.length, N)
    for (const name of ['fh', 'h']) {
      const key = `${name}{cluster="c1"}`
      assert.deepEqual(got.chain!.get(key), union, key)
      assert.deepEqual(got.chain!.get(key), got.chainThanos!.get(key), `${key} as thanos`)
    }
  })

  it('penalty: the gaps are filled from the other replica, as many histograms as thanos compact keeps give or take a switch', () => {
    for (const name of ['fh', 'h']) {
      const key = `${name}{cluster="c1"}`
      const ours = got.penalty!.get(key)!
      assert.ok(Math.abs(ours.length - got.penaltyThanos!.get(key)!.length) <= 2, `${key}: ${ours.length} samples, thanos ${got.penaltyThanos!.get(key)!.length}`)
      for (const [t, v] of ours) assert.equal(v, text(hist((t - T0) / STEP).toFloat()), `${key} @${t} is the input's`)
      let hole = 0
      for (let i = 1; i < ours.length; i++) hole = Math.max(hole, ours[i]![0] - ours[i - 1]![0])
      assert.ok(hole <= 3 * STEP, `${key}: hole of ${hole} ms`)
      assert.ok(ours.length >= N - 4, `${key}: ${ours.length} samples`)
    }
  })
})
