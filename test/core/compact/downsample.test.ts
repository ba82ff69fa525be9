/**
 * `thanosts compact` downsampling as a user gets it: 2h promtool blocks over 50 hours, compacted
 * to 8h and 2d blocks and the 2d block downsampled to 5m in the same run, next to the real
 * `thanos compact` on a copy of the same input:
 * - the same live blocks (resolution, time range, level, sources) in both buckets;
 * - the 5m blocks hold the same series and, per aggregate (count, sum, min, max, counter), the
 *   same decoded samples;
 * - the real `thanos query` over the real `thanos store` answers long-range queries at
 *   max_source_resolution=5m the same over our bucket as over Thanos's;
 * - a second run changes nothing; a no-downsample-mark.json keeps a block raw;
 *   --downsampling.disable leaves the 2d block alone.
 */
import assert from 'node:assert/strict'
import {cp, mkdtemp, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {BlockReader} from '../../../src/core/block/block-reader.js'
import {parseMeta, type BlockMeta} from '../../../src/core/block/meta.js'
import {AGGR_TYPES, aggrTypeName, CHUNK_ENC_AGGR, decodeAggr, isAggrAbsent, type AggrType} from '../../../src/core/downsample/aggr-chunk.js'
import {labelsToString} from '../../../src/core/labels/labels.js'
import {Matcher, MatchType} from '../../../src/core/labels/matcher.js'
import {FilesystemBucket} from '../../../src/core/objstore/filesystem.js'
import {uploadBackfilled} from '../../helpers/bucket-blocks.js'
import {BIN} from '../../helpers/cli.js'
import {samples, type SeriesSpec} from '../../helpers/openmetrics.js'
import {startThanosQuery, type ThanosQueryHandle} from '../../helpers/peers.js'
import {freePort} from '../../helpers/ports.js'
import {startProcess} from '../../helpers/process.js'
import {filesystemBucketYaml, runThanosCompact, runToEnd, startThanosStore, type RunResult, type ThanosStoreHandle} from '../../helpers/thanos-bucket.js'

const HOUR = 3_600_000
/** 2024-01-02T00:00Z: a multiple of 2 days, so the 2d range [T0, T0+48h) is aligned. */
const T0 = Date.UTC(2024, 0, 2)
const SPAN = 50 * HOUR
const COMMON = ['--consistency-delay=0s', '--delete-delay=0s', '--log.level=debug']

function dataset(): SeriesSpec[] {
  const out: SeriesSpec[] = []
  for (let s = 0; s < 3; s++) out.push({metric: 'load', labels: {instance: `i${s}`}, samples: samples(T0, 30_000, SPAN / 30_000, (i) => Math.round(Math.sin(i / 90 + s) * 1e6) / 1e3 + 5)})
  // a counter that resets twice, with a 3h gap (downsampled counters carry the resets)
  out.push({
    metric: 'requests',
    type: 'counter',
    labels: {code: '200'},
    samples: samples(T0, 60_000, SPAN / 60_000, (i, t) => (t - T0 >= 20 * HOUR && t - T0 < 23 * HOUR ? undefined : i < 1000 ? i * 2 : i < 2200 ? (i - 1000) * 3 : i - 2200)),
  })
  // one sample at the last millisecond of each 2h block: the blocks span their whole range
  out.push({metric: 'edge', samples: Array.from({length: SPAN / (2 * HOUR)}, (_, k) => [T0 + (k + 1) * 2 * HOUR - 1, k] as [number, number])})
  return out
}

async function compact(bucketDir: string, extra: string[], dataDir: string): Promise<RunResult> {
  return runToEnd('node', [BIN, 'compact', `--objstore.config=${filesystemBucketYaml(bucketDir)}`, `--data-dir=${dataDir}`, `--http-address=127.0.0.1:${await freePort()}`, ...COMMON, ...extra])
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  )
}

/** Whole blocks without a deletion mark. */
async function live(bucketDir: string): Promise<BlockMeta[]> {
  const out: BlockMeta[] = []
  for (const id of (await readdir(bucketDir)).filter((n) => /^[0-9A-Z]{26}$/.test(n)).sort()) {
    const text = await readFile(path.join(bucketDir, id, 'meta.json')).catch(() => undefined)
    if (text && !(await exists(path.join(bucketDir, id, 'deletion-mark.json')))) out.push(parseMeta(text, id))
  }
  return out
}

function shape(metas: readonly BlockMeta[]): string[] {
  return metas
    .map((m) => `res ${m.thanos.downsample.resolution} ${m.minTime}-${m.maxTime} level ${m.compaction.level} sources ${[...(m.compaction.sources ?? [])].sort().join(',')} ${JSON.stringify(m.thanos.labels)}`)
    .sort()
}

/** Every series of a downsampled block: per aggregate, the decoded (t, v) samples. */
async function aggregates(bucketDir: string, meta: BlockMeta): Promise<Map<string, string>> {
  const reader = await BlockReader.open(new FilesystemBucket({directory: bucketDir}), meta.ulid, {meta})
  const out = new Map<string, string>()
  for await (const s of reader.series([new Matcher(MatchType.RE, '__name__', '.+')], -Infinity, Infinity)) {
    const per: string[] = []
    for (let t = 0; t < AGGR_TYPES; t++) {
      const pts: string[] = []
      for (const c of s.chunks) {
        assert.equal(c.encoding, CHUNK_ENC_AGGR, `${labelsToString(s.labels)}: an aggregate chunk`)
        const d = decodeAggr(c.data, t as AggrType)
        if (isAggrAbsent(d)) continue
        if (d.encoding !== 1) throw new Error('float series only in this data set')
        while (d.iterator.next()) pts.push(`${d.iterator.atT()}:${d.iterator.at()}`)
      }
      per.push(`${aggrTypeName(t as AggrType)}=[${pts.join(' ')}]`)
    }
    out.set(labelsToString(s.labels), per.join('\n'))
  }
  return out
}

async function queryRange(url: string, query: string, extra: Record<string, string>): Promise<unknown> {
  const body = new URLSearchParams({query, start: String((T0 + 6 * HOUR) / 1000), end: String((T0 + 46 * HOUR) / 1000), step: '3600', ...extra})
  const j = (await (await fetch(`${url}/api/v1/query_range`, {method: 'POST', body})).json()) as {status: string; data: unknown; error?: string}
  assert.equal(j.status, 'success', j.error)
  return j.data
}

describe('thanosts compact: downsampling, as thanos compact', function () {
  this.timeout(900_000)
  let root: string
  const dirs = {input: '', ours: '', theirs: '', marked: ''}
  let ours: RunResult
  let theirs: RunResult

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'thanosts-downsample-'))
    for (const k of Object.keys(dirs) as (keyof typeof dirs)[]) dirs[k] = path.join(root, k)
    await uploadBackfilled(new FilesystemBucket({directory: dirs.input}), {series: dataset(), ext: {cluster: 'c1'}})
    for (const k of ['ours', 'theirs', 'marked'] as const) await cp(dirs.input, dirs[k], {recursive: true})
    ;[ours, theirs] = await Promise.all([compact(dirs.ours, [], path.join(root, 'data-ours')), runThanosCompact(dirs.theirs, COMMON)])
  })

  after(async () => {
    if (root) await rm(root, {recursive: true, force: true})
  })

  it('compacts to a 2d block and downsamples it to 5m in one run, with the blocks thanos compact makes', async () => {
    assert.equal(ours.code, 0, ours.output)
    assert.equal(theirs.code, 0, theirs.output)
    const [a, b] = [await live(dirs.ours), await live(dirs.theirs)]
    const fiveMin = a.filter((m) => m.thanos.downsample.resolution === 300_000)
    assert.equal(fiveMin.length, 1, shape(a).join('\n'))
    const twoDay = a.find((m) => m.maxTime - m.minTime >= 40 * HOUR && m.thanos.downsample.resolution === 0)
    assert.ok(twoDay, 'the 2d raw block stays beside its 5m copy')
    assert.deepEqual([...(fiveMin[0]!.compaction.sources ?? [])].sort(), [...(twoDay.compaction.sources ?? [])].sort())
    assert.equal(fiveMin[0]!.thanos.source, 'compactor')
    assert.deepEqual(shape(a), shape(b))
    assert.match(ours.output, /start first pass of downsampling/)
    assert.match(ours.output, /downsampling iterations done/)
  })

  it('the 5m blocks hold the same aggregates as Thanos\'s, sample for sample', async () => {
    const pick = async (dir: string) => (await live(dir)).find((m) => m.thanos.downsample.resolution === 300_000)!
    const [a, b] = [await aggregates(dirs.ours, await pick(dirs.ours)), await aggregates(dirs.theirs, await pick(dirs.theirs))]
    assert.deepEqual([...a.keys()], [...b.keys()])
    assert.ok(a.size >= 5)
    for (const [k, v] of a) assert.equal(v, b.get(k), k)
  })

  it('thanos query over thanos store answers from our 5m block as from Thanos\'s', async () => {
    let sa: ThanosStoreHandle | undefined
    let sb: ThanosStoreHandle | undefined
    let qa: ThanosQueryHandle | undefined
    let qb: ThanosQueryHandle | undefined
    try {
      ;[sa, sb] = await Promise.all([startThanosStore(dirs.ours), startThanosStore(dirs.theirs)])
      ;[qa, qb] = await Promise.all([startThanosQuery({endpoints: [sa.grpcAddress]}), startThanosQuery({endpoints: [sb.grpcAddress]})])
      for (const q of ['avg_over_time(load[2h])', 'max_over_time(load[2h])', 'count_over_time(load[2h])', 'rate(requests_total[2h])', 'increase(requests_total[6h])', 'sum_over_time(load[3h])', 'min_over_time(load[1h])']) {
        const [x, y]: unknown[] = await Promise.all([queryRange(qa!.url, q, {max_source_resolution: '5m'}), queryRange(qb!.url, q, {max_source_resolution: '5m'})])
        assert.deepEqual(x, y, q)
        assert.ok(((x as {result: unknown[]}).result).length > 0, `${q}: an answer`)
      }
    } finally {
      await qa?.stop()
      await qb?.stop()
      await sa?.stop()
      await sb?.stop()
    }
  })

  it('a second run changes nothing', async () => {
    const before = shape(await live(dirs.ours))
    const again = await compact(dirs.ours, [], path.join(root, 'data-ours'))
    assert.equal(again.code, 0, again.output)
    assert.deepEqual(shape(await live(dirs.ours)), before)
    assert.doesNotMatch(again.output, /downsampled block/)
  })

  it('--downsampling.disable leaves the 2d block raw; a no-downsample-mark.json too, until it is removed', async () => {
    const first = await compact(dirs.marked, ['--downsampling.disable'], path.join(root, 'data-marked'))
    assert.equal(first.code, 0, first.output)
    assert.match(first.output, /downsampling was explicitly disabled/)
    const metas = await live(dirs.marked)
    assert.equal(metas.filter((m) => m.thanos.downsample.resolution !== 0).length, 0)
    const twoDay = metas.find((m) => m.maxTime - m.minTime >= 40 * HOUR)!
    const mark = path.join(dirs.marked, twoDay.ulid, 'no-downsample-mark.json')
    await writeFile(mark, JSON.stringify({id: twoDay.ulid, version: 1, details: 'test', no_downsample_time: Math.floor(Date.now() / 1000), reason: 'manual'}))
    const second = await compact(dirs.marked, [], path.join(root, 'data-marked'))
    assert.equal(second.code, 0, second.output)
    assert.equal((await live(dirs.marked)).filter((m) => m.thanos.downsample.resolution !== 0).length, 0, 'the marked block is not downsampled')
    await rm(mark)
    const third = await compact(dirs.marked, [], path.join(root, 'data-marked'))
    assert.equal(third.code, 0, third.output)
    assert.equal((await live(dirs.marked)).filter((m) => m.thanos.downsample.resolution === 300_000).length, 1)
  })

  it('/metrics counts the downsampling attempts by input resolution', async () => {
    // a --wait run on the already downsampled bucket: the counters exist at 0 for both resolutions
    const port = await freePort()
    const p = startProcess('thanosts-compact-wait', 'node', [BIN, 'compact', `--objstore.config=${filesystemBucketYaml(dirs.ours)}`, `--data-dir=${path.join(root, 'data-wait')}`, `--http-address=127.0.0.1:${port}`, ...COMMON, '--wait', '--wait-interval=1h'])
    try {
      let text = ''
      const deadline = Date.now() + 60_000
      while (!/thanos_compact_iterations_total 1/.test(text)) {
        if (Date.now() > deadline) throw new Error(`no iteration:\n${p.output()}\n${text}`)
        await new Promise((r) => setTimeout(r, 300))
        text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '')
      }
      assert.match(text, /thanos_compact_downsample_total\{resolution="0"\} 0/)
      assert.match(text, /thanos_compact_downsample_total\{resolution="300000"\} 0/)
      assert.match(text, /thanos_compact_downsample_failures_total\{resolution="0"\} 0/)
    } finally {
      await p.stop()
    }
  })
})
