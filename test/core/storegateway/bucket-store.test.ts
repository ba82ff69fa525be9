/**
 * The bucket store over a FILESYSTEM bucket of real promtool blocks shipped with external
 * labels: which blocks it serves (partial, corrupt, deletion-marked, out of --min-time), and
 * what Series, LabelNames, LabelValues and Info answer, checked against the input series.
 */
import assert from 'node:assert/strict'
import {mkdtemp, readdir, rm, truncate, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {Registry} from 'prom-client'
import {DELETION_MARK_FILENAME, writeMarker} from '../../../src/core/block/markers.js'
import {errorKind, ResourceExhaustedError} from '../../../src/core/errors.js'
import {labelsFromRecord, labelsToString} from '../../../src/core/labels/labels.js'
import {Matcher, MatchType} from '../../../src/core/labels/matcher.js'
import {createLogger, type Logger} from '../../../src/core/log.js'
import {FilesystemBucket} from '../../../src/core/objstore/filesystem.js'
import {BucketStore} from '../../../src/core/storegateway/bucket-store.js'
import {consistencyDelayFilter, deduplicateFilter, ignoreDeletionMarkFilter, timePartitionFilter} from '../../../src/core/storegateway/filters.js'
import {MetaFetcher} from '../../../src/core/storegateway/meta-fetcher.js'
import {storeGatewayMetrics} from '../../../src/core/storegateway/metrics.js'
import {parseTimeOrDuration, type TimeOrDuration} from '../../../src/core/storegateway/time-or-duration.js'
import type {SeriesQuery, StoreSeries} from '../../../src/core/storepb/store-types.js'
import {expectedSeries, specLabels, storeSamples, uploadBackfilled, type UploadSpec} from '../../helpers/bucket-blocks.js'
import {samples, type SeriesSpec} from '../../helpers/openmetrics.js'

const HOUR = 3_600_000
/** 2024-01-01T12:00Z, on a 2h block boundary. */
const T0 = Date.UTC(2024, 0, 1, 12)

const gauge = (metric: string, labels: Record<string, string>, start: number, hours: number, f: (i: number) => number): SeriesSpec => ({
  metric,
  type: 'gauge',
  labels,
  samples: samples(start, 30_000, (hours * HOUR) / 30_000, f),
})

/** Four hours (two blocks): a label set that is a prefix of another, own labels named like external ones. */
function d1(): SeriesSpec[] {
  return [
    gauge('up', {job: 'api', instance: 'a'}, T0, 4, (i) => i),
    gauge('up', {job: 'api', instance: 'b'}, T0, 4, (i) => (i % 17) * 0.5),
    {metric: 'requests', type: 'counter', labels: {code: '200'}, samples: samples(T0, 60_000, (4 * HOUR) / 60_000, (i) => i * 3)},
    gauge('pfx', {a: '1'}, T0, 4, (i) => -(i + 1)),
    gauge('pfx', {a: '1', b: '2'}, T0, 4, (i) => i * 2),
    gauge('own', {cluster: 'own', x: '1'}, T0, 4, (i) => Math.sin(i)),
    gauge('own', {cluster: 'zzz', x: '0'}, T0, 4, (i) => Math.cos(i)),
  ]
}

/** The two hours after d1 for one series: the same series continues in a third block. */
function d2(): SeriesSpec[] {
  return [gauge('up', {job: 'api', instance: 'a'}, T0 + 4 * HOUR, 2, (i) => 480 + i)]
}

const UPLOADS: UploadSpec[] = [
  {series: d1(), ext: {cluster: 'a', replica: '0'}},
  {series: d2(), ext: {cluster: 'a', replica: '0'}},
  // The same data from the other replica: equal chunks once `replica` is removed.
  {series: d1(), ext: {cluster: 'a', replica: '1'}},
  {series: [gauge('up', {job: 'web', instance: 'c'}, T0, 2, (i) => 1000 + i)], ext: {cluster: 'b'}},
  {series: [gauge('noext', {k: 'v'}, T0 + 2 * HOUR, 2, (i) => i / 4)], ext: {}},
]

const m = (name: string, value: string, type = MatchType.EQ): Matcher => new Matcher(type, name, value)

function query(matchers: Matcher[], minTime: number, maxTime: number, extra: Partial<SeriesQuery> = {}): SeriesQuery {
  return {minTime, maxTime, matchers, partialResponse: false, ...extra}
}

async function collect(store: BucketStore, q: SeriesQuery): Promise<StoreSeries[]> {
  const out: StoreSeries[] = []
  for await (const f of store.series(q, new AbortController().signal)) if (f.series) out.push(f.series)
  return out
}

function memoryLogger(): {logger: Logger; lines: string[]} {
  const lines: string[] = []
  return {logger: createLogger({level: 'debug', write: (l) => lines.push(l)}), lines}
}

interface Fixture {
  store: BucketStore
  registry: Registry
  lines: string[]
}

async function openStore(bucket: FilesystemBucket, o: {minTime?: TimeOrDuration; maxTime?: TimeOrDuration; deletionDelayMs?: number; seriesLimit?: number; samplesLimit?: number} = {}): Promise<Fixture> {
  const {logger, lines} = memoryLogger()
  const registry = new Registry()
  const metrics = storeGatewayMetrics(registry)
  const minTime = o.minTime ?? parseTimeOrDuration('0000-01-01T00:00:00Z')
  const maxTime = o.maxTime ?? parseTimeOrDuration('9999-12-31T23:59:59Z')
  const fetcher = new MetaFetcher(bucket, {
    concurrency: 4,
    logger,
    filters: [timePartitionFilter(minTime, maxTime), consistencyDelayFilter(0, logger), ignoreDeletionMarkFilter(bucket, o.deletionDelayMs ?? 24 * HOUR, 4, logger), deduplicateFilter()],
  })
  const store = new BucketStore({bucket, fetcher, logger, metrics, blockSyncConcurrency: 3, minTime, maxTime, seriesLimit: o.seriesLimit, samplesLimit: o.samplesLimit})
  await store.syncBlocks(new AbortController().signal)
  store.setReady()
  return {store, registry, lines}
}

async function gaugeValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name)
  if (!metric) throw new Error(`metric ${name} is not registered`)
  const v = (await metric.get()).values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val))
  return v ? v.value : 0
}

describe('store gateway: bucket store over promtool blocks', function () {
  this.timeout(180_000)
  let dir: string
  let bucket: FilesystemBucket
  let good: string[]
  let fx: Fixture

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'thanosts-sg-'))
    bucket = new FilesystemBucket({directory: dir})
    good = []
    for (const u of UPLOADS) good.push(...(await uploadBackfilled(bucket, u)))
    fx = await openStore(bucket)
  })

  after(() => rm(dir, {recursive: true, force: true}))

  it('serves every uploaded block', async () => {
    assert.deepEqual(fx.store.blockIds(), [...good].sort())
    assert.equal(await gaugeValue(fx.registry, 'thanos_bucket_store_blocks_loaded'), good.length)
    assert.equal(await gaugeValue(fx.registry, 'thanos_blocks_meta_synced', {state: 'loaded'}), good.length)
  })

  it('Info: component store, the distinct external label sets, the time range of the blocks', () => {
    const info = fx.store.info()
    assert.equal(info.componentType, 'store')
    const want = [...new Set(UPLOADS.map((u) => labelsToString(labelsFromRecord(u.ext))))]
    assert.deepEqual(info.labelSets.map(labelsToString).sort(), want.sort())
    assert.equal(info.store?.minTime, T0)
    // Block maxTime is exclusive: the last sample (T0 + 6h - 30s) + 1 ms.
    assert.equal(info.store?.maxTime, T0 + 6 * HOUR - 30_000 + 1)
    assert.equal(info.store?.supportsWithoutReplicaLabels, true)
  })

  const CASES: {name: string; matchers: Matcher[]; mint: number; maxt: number; remove?: string[]}[] = [
    {name: 'one metric, everything', matchers: [m('__name__', 'up')], mint: T0, maxt: T0 + 6 * HOUR},
    {name: 'one series across three blocks, a range inside', matchers: [m('__name__', 'up'), m('instance', 'a')], mint: T0 + HOUR, maxt: T0 + 5 * HOUR},
    {name: 'regex on the name, external label matcher', matchers: [m('__name__', 'up|requests_total', MatchType.RE), m('cluster', 'a')], mint: T0, maxt: T0 + 6 * HOUR},
    {name: 'external label excludes block sets', matchers: [m('__name__', 'up'), m('cluster', 'b')], mint: T0, maxt: T0 + 6 * HOUR},
    {name: 'replica matcher', matchers: [m('__name__', 'up'), m('replica', '1')], mint: T0, maxt: T0 + 6 * HOUR},
    {name: 'negated external label', matchers: [m('job', 'api'), m('replica', '0', MatchType.NEQ)], mint: T0, maxt: T0 + 6 * HOUR},
    {name: 'external label absent: matches blocks without it', matchers: [m('__name__', 'noext|up', MatchType.RE), m('cluster', '')], mint: T0, maxt: T0 + 6 * HOUR},
    {name: 'own labels named like external ones (the external wins)', matchers: [m('__name__', 'own')], mint: T0, maxt: T0 + 4 * HOUR},
    {name: 'label sets that are prefixes of others (re-sorted after merging)', matchers: [m('__name__', 'pfx')], mint: T0, maxt: T0 + 4 * HOUR},
    {name: 'replicas merged when the replica label is removed', matchers: [m('__name__', 'up')], mint: T0, maxt: T0 + 6 * HOUR, remove: ['replica']},
    {name: 'removing a label the series carry too', matchers: [m('__name__', 'own|pfx', MatchType.RE)], mint: T0 + 30 * 60_000, maxt: T0 + 3 * HOUR, remove: ['cluster', 'replica']},
    {name: 'a range in one block only', matchers: [m('job', 'api|web', MatchType.RE)], mint: T0 + 2 * HOUR, maxt: T0 + 2 * HOUR + 10 * 60_000},
    {name: 'no such metric', matchers: [m('__name__', 'nope')], mint: T0, maxt: T0 + 6 * HOUR},
    {name: 'contradicting external labels', matchers: [m('__name__', 'up'), m('cluster', 'zz')], mint: T0, maxt: T0 + 6 * HOUR},
  ]

  for (const c of CASES) {
    it(`Series: ${c.name}`, async () => {
      const got = await collect(fx.store, query(c.matchers, c.mint, c.maxt, {withoutReplicaLabels: c.remove}))
      const want = expectedSeries(UPLOADS, c.matchers, c.mint, c.maxt, c.remove)
      assert.deepEqual(
        got.map((s) => labelsToString(s.labels)),
        want.map((s) => labelsToString(s.labels)),
      )
      for (const [i, s] of got.entries()) {
        assert.deepEqual(storeSamples(s, c.mint, c.maxt), want[i]!.samples, labelsToString(s.labels))
        for (let j = 0; j < s.chunks.length; j++) {
          const ch = s.chunks[j]!
          assert.ok(ch.maxTime >= c.mint && ch.minTime <= c.maxt, 'every chunk overlaps the range')
          if (j > 0) assert.ok(s.chunks[j - 1]!.minTime <= ch.minTime, 'chunks in time order')
          if (j > 0) assert.ok(s.chunks[j - 1]!.maxTime < ch.minTime, 'no chunk twice (equal replicas merged)')
        }
      }
      if (c.name.startsWith('no such') || c.name.startsWith('contradicting')) assert.equal(got.length, 0)
      else assert.ok(got.length > 0, 'the case selects something')
    })
  }

  it('Series with skip_chunks: the same label sets, no chunks', async () => {
    const ms = [m('__name__', 'up|own', MatchType.RE)]
    const got = await collect(fx.store, query(ms, T0, T0 + 6 * HOUR, {skipChunks: true}))
    assert.deepEqual(
      got.map((s) => labelsToString(s.labels)),
      expectedSeries(UPLOADS, ms, T0, T0 + 6 * HOUR).map((s) => labelsToString(s.labels)),
    )
    assert.ok(got.every((s) => s.chunks.length === 0))
  })

  it('Series honours the request limit', async () => {
    const ms = [m('__name__', 'up')]
    const got = await collect(fx.store, query(ms, T0, T0 + 6 * HOUR, {limit: 2}))
    assert.deepEqual(
      got.map((s) => labelsToString(s.labels)),
      expectedSeries(UPLOADS, ms, T0, T0 + 6 * HOUR).slice(0, 2).map((s) => labelsToString(s.labels)),
    )
  })

  it('LabelNames: index names plus external names; with matchers, of the matching series', async () => {
    const signal = new AbortController().signal
    const all = await fx.store.labelNames({start: T0, end: T0 + 6 * HOUR, matchers: [], partialResponse: false}, signal)
    const names = new Set<string>()
    for (const u of UPLOADS) {
      for (const s of u.series) for (const l of specLabels(s)) names.add(l.name)
      for (const k of Object.keys(u.ext)) names.add(k)
    }
    assert.deepEqual(all.names, [...names].sort())

    const ms = [m('__name__', 'up'), m('cluster', 'b')]
    const some = await fx.store.labelNames({start: T0, end: T0 + 6 * HOUR, matchers: ms, partialResponse: false}, signal)
    const want = new Set(expectedSeries(UPLOADS, ms, T0, T0 + 6 * HOUR).flatMap((s) => s.labels.map((l) => l.name)))
    assert.deepEqual(some.names, [...want].sort())

    const without = await fx.store.labelNames({start: T0, end: T0 + 6 * HOUR, matchers: [], partialResponse: false, withoutReplicaLabels: ['replica']}, signal)
    assert.ok(!without.names.includes('replica'))
    assert.ok(without.names.includes('cluster'))
  })

  it('LabelValues: index values plus the external value; with matchers, of the matching series', async () => {
    const signal = new AbortController().signal
    const lq = (matchers: Matcher[], start = T0, end = T0 + 6 * HOUR) => ({start, end, matchers, partialResponse: false})
    // Without matchers Thanos answers from the index: own values ('own', 'zzz') count, though
    // every series shows its block's external value instead.
    const cluster = await fx.store.labelValues('cluster', lq([]), signal)
    assert.deepEqual(cluster.values, ['a', 'b', 'own', 'zzz'])
    const ownCluster = await fx.store.labelValues('cluster', lq([m('__name__', 'own')]), signal)
    assert.deepEqual(ownCluster.values, ['a'])
    const ms = [m('job', 'api|web', MatchType.RE)]
    const inst = await fx.store.labelValues('instance', lq(ms, T0 + 2 * HOUR, T0 + 3 * HOUR), signal)
    const want = new Set(expectedSeries(UPLOADS, ms, T0 + 2 * HOUR, T0 + 3 * HOUR).map((s) => s.labels.find((l) => l.name === 'instance')!.value))
    assert.deepEqual(inst.values, [...want].sort())
    assert.deepEqual((await fx.store.labelValues('replica', {...lq([]), withoutReplicaLabels: ['replica']}, signal)).values, [])
    assert.deepEqual((await fx.store.labelValues('k', lq([m('__name__', 'noext')]), signal)).values, ['v'])
  })

  it('per-request limits: series and samples (as chunks of 120), ResourceExhausted', async () => {
    const bySeries = await openStore(bucket, {seriesLimit: 3})
    await assert.rejects(collect(bySeries.store, query([m('__name__', 'up')], T0, T0 + 6 * HOUR, {skipChunks: true})), (e: unknown) => {
      assert.ok(e instanceof ResourceExhaustedError)
      assert.match((e as Error).message, /exceeded series limit/)
      return true
    })
    assert.equal(await gaugeValue(bySeries.registry, 'thanos_bucket_store_queries_dropped_total', {reason: 'series'}), 1)
    // up of replica 0: 2 chunks per series and 2h block (240 samples), 10 in all.
    const bySamples = await openStore(bucket, {samplesLimit: 120 * 5})
    await assert.rejects(collect(bySamples.store, query([m('__name__', 'up'), m('replica', '0')], T0, T0 + 6 * HOUR)), /exceeded chunks limit: limit 5 violated/)
    assert.equal(await gaugeValue(bySamples.registry, 'thanos_bucket_store_queries_dropped_total', {reason: 'chunks'}), 1)
    // Under the limits the same stores answer.
    for (const f of [bySeries, bySamples]) assert.equal((await collect(f.store, query([m('__name__', 'up'), m('cluster', 'b')], T0, T0 + 6 * HOUR))).length, 1)
  })

  it('--min-time / --max-time: only overlapping blocks, requests clamped', async () => {
    const part = await openStore(bucket, {minTime: parseTimeOrDuration('2024-01-01T16:00:00Z'), maxTime: parseTimeOrDuration('2024-01-01T17:00:00Z')})
    // Only the d2 block overlaps [4h, 5h]: d1's blocks end with their last sample, at 4h - 30s.
    const info = part.store.info()
    assert.equal(info.store?.minTime, T0 + 4 * HOUR)
    assert.equal(info.store?.maxTime, T0 + 5 * HOUR)
    const got = await collect(part.store, query([m('__name__', 'up')], T0, T0 + 6 * HOUR))
    assert.deepEqual(
      got.map((s) => labelsToString(s.labels)),
      expectedSeries(UPLOADS, [m('__name__', 'up')], T0 + 4 * HOUR, T0 + 5 * HOUR).map((s) => labelsToString(s.labels)),
    )
    for (const s of got) assert.ok(s.chunks.every((c) => c.minTime <= T0 + 5 * HOUR))
    assert.ok((await gaugeValue(part.registry, 'thanos_blocks_meta_synced', {state: 'time-excluded'})) > 0)
  })

  it('a relative --min-time moves with the clock', () => {
    const v = parseTimeOrDuration('-2d')
    assert.equal(v.kind, 'duration')
    assert.equal(v.ms, -2 * 24 * HOUR)
    assert.throws(() => parseTimeOrDuration('yesterday'), /invalid --time/)
  })

  describe('bad blocks and resync', () => {
    let work: string
    let wb: FilesystemBucket
    let ids: string[]
    let extra: string[]

    before(async () => {
      work = await mkdtemp(path.join(tmpdir(), 'thanosts-sg-bad-'))
      wb = new FilesystemBucket({directory: work})
      ids = await uploadBackfilled(wb, {series: d1(), ext: {cluster: 'a', replica: '0'}})
      extra = []
      // Three more blocks of other data, then broken in three ways.
      for (const k of ['nometa', 'badmeta', 'badindex']) extra.push(...(await uploadBackfilled(wb, {series: [gauge(`broken_${k}`, {k}, T0, 1, (i) => i)], ext: {cluster: 'x'}})))
      assert.equal(extra.length, 3)
      await rm(path.join(work, extra[0]!, 'meta.json'))
      await writeFile(path.join(work, extra[1]!, 'meta.json'), '{"ulid": "not json')
      await truncate(path.join(work, extra[2]!, 'index'), 200)
    })

    after(() => rm(work, {recursive: true, force: true}))

    it('skips a block without meta.json, with a corrupt meta.json or a truncated index, with warnings and metrics; serves the rest', async () => {
      const f = await openStore(wb)
      assert.deepEqual(f.store.blockIds(), [...ids].sort())
      const warn = (id: string) => f.lines.find((l) => l.includes('level=warn') && l.includes(id))
      assert.match(warn(extra[0]!) ?? '', /no meta\.json/)
      assert.match(warn(extra[1]!) ?? '', /corrupt meta\.json/)
      assert.match(warn(extra[2]!) ?? '', /loading block failed/)
      assert.equal(await gaugeValue(f.registry, 'thanos_blocks_meta_synced', {state: 'no-meta-json'}), 1)
      assert.equal(await gaugeValue(f.registry, 'thanos_blocks_meta_synced', {state: 'corrupted-meta-json'}), 1)
      assert.equal(await gaugeValue(f.registry, 'thanos_bucket_store_block_load_failures_total'), 1)
      const got = await collect(f.store, query([m('__name__', 'up')], T0, T0 + 4 * HOUR))
      assert.equal(got.length, 2)
      assert.deepEqual(await collect(f.store, query([m('__name__', 'broken_badindex')], T0, T0 + 4 * HOUR)), [])
    })

    it('deletion marks: served until the mark is older than --ignore-deletion-marks-delay', async () => {
      const now = Math.floor(Date.now() / 1000)
      await writeMarker(wb, DELETION_MARK_FILENAME, {id: ids[0]!, version: 1, deletion_time: now - 2 * 3600})
      await writeMarker(wb, DELETION_MARK_FILENAME, {id: ids[1]!, version: 1, deletion_time: now})
      const f = await openStore(wb, {deletionDelayMs: HOUR})
      assert.deepEqual(f.store.blockIds(), [ids[1]!])
      assert.equal(await gaugeValue(f.registry, 'thanos_blocks_meta_synced', {state: 'marked-for-deletion'}), 1)
      await rm(path.join(work, ids[0]!, DELETION_MARK_FILENAME))
      await rm(path.join(work, ids[1]!, DELETION_MARK_FILENAME))
    })

    it('resync: a new block is served, a deleted one dropped; a half-written deletion mark is ignored', async () => {
      const f = await openStore(wb)
      const before = f.store.blockIds()
      const added = await uploadBackfilled(wb, {series: [gauge('late', {k: 'v'}, T0 + 6 * HOUR, 1, (i) => i)], ext: {cluster: 'a', replica: '0'}})
      await writeFile(path.join(work, ids[1]!, DELETION_MARK_FILENAME), '{"id": "')
      await rm(path.join(work, ids[0]!), {recursive: true})
      await f.store.syncBlocks(new AbortController().signal)
      assert.deepEqual(f.store.blockIds(), [...before.filter((i) => i !== ids[0]), ...added].sort())
      assert.ok(f.lines.some((l) => l.includes('partial deletion-mark.json') && l.includes(ids[1]!)))
      assert.equal(await gaugeValue(f.registry, 'thanos_bucket_store_block_drops_total'), 1)
      const late = await collect(f.store, query([m('__name__', 'late')], T0, T0 + 8 * HOUR))
      assert.equal(late.length, 1)
      assert.equal(storeSamples(late[0]!).length, 120)
      assert.ok((await readdir(work)).includes(added[0]!))
    })

    it('a chunk file cut after the block was loaded: that query fails as internal, naming the block; others answer', async () => {
      const f = await openStore(wb)
      assert.ok(f.store.blockIds().includes(ids[1]!))
      await truncate(path.join(work, ids[1]!, 'chunks', '000001'), 100)
      await assert.rejects(collect(f.store, query([m('__name__', 'up')], T0, T0 + 4 * HOUR)), (e: unknown) => {
        assert.equal(errorKind(e), 'internal', String(e))
        assert.match((e as Error).message, new RegExp(`${ids[1]}.*chunks/000001`))
        return true
      })
      assert.equal((await collect(f.store, query([m('__name__', 'late')], T0, T0 + 8 * HOUR))).length, 1)
    })
  })
})
