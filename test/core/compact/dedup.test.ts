/**
 * Vertical compaction of replicas (`--deduplication.replica-label`): two replicas of the same
 * Prometheus, shipped with external labels replica="a" / replica="b", each with a 20-minute gap
 * in a different place. After `thanosts compact` there is one block per range, without the
 * replica label, whose samples fill both gaps: with `--deduplication.func=penalty` merged by the
 * querier's penalty algorithm (each output sample is one replica's, the output moves to the
 * other replica only across a gap), with the default '' every sample of both once. Checked
 * against the real `thanos compact` with the same flags on a copy of the same input (same
 * blocks; with '' the same series and samples through a real thanos store) and `thanos tools
 * bucket verify`. With penalty the samples of each 2h range are what the real `thanos query`
 * deduplicates over the original replicas for that range (the compactor merges range by range,
 * a query over one range starts its merge there as well), except that the querier, which gets
 * both replicas' chunks as one series from the store and splits them into virtual replicas by
 * first fit (dedup/overlap-split.ts), may switch where the real replicas do not and lose the
 * two samples the penalty skips there; ours keeps them. The real thanos compact differs
 * there: it folds the replicas pairwise per run of overlapping chunks, restarting the penalty
 * at every chunk seam, and so drops two more samples at some seams; ours keeps them (its
 * samples are a superset of upstream's, value for value).
 */
import assert from 'node:assert/strict'
import {cp, mkdtemp, readdir, readFile, rm, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {parseMeta, type BlockMeta} from '../../../src/core/block/meta.js'
import {labelsToString} from '../../../src/core/labels/labels.js'
import {Matcher, MatchType} from '../../../src/core/labels/matcher.js'
import {FilesystemBucket} from '../../../src/core/objstore/filesystem.js'
import {StoreClient} from '../../../src/core/storeapi/store-client.js'
import {storeSamples, uploadBackfilled} from '../../helpers/bucket-blocks.js'
import {samples, type SeriesSpec} from '../../helpers/openmetrics.js'
import {startThanosQuery, type ThanosQueryHandle} from '../../helpers/peers.js'
import {freePort} from '../../helpers/ports.js'
import {filesystemBucketYaml, runThanosCompact, runToEnd, startThanosStore, thanosBucketVerify, type RunResult, type ThanosStoreHandle} from '../../helpers/thanos-bucket.js'
import {thanosBucketLs, type LsBlock} from '../objstore/thanos-ls.js'
import {BIN} from '../../helpers/cli.js'

const HOUR = 3_600_000
const MIN = 60_000
const T0 = Date.UTC(2024, 0, 1)
const SPAN = 10 * HOUR
const STEP = 15_000
const GAP_A: [number, number] = [T0 + 30 * MIN, T0 + 50 * MIN]
const GAP_B: [number, number] = [T0 + 3 * HOUR + 10 * MIN, T0 + 3 * HOUR + 30 * MIN]
const COMMON = ['--consistency-delay=0s', '--downsampling.disable', '--delete-delay=0s', '--deduplication.replica-label=replica', '--log.level=debug']

function replica(gap: [number, number]): SeriesSpec[] {
  const out: SeriesSpec[] = []
  for (let s = 0; s < 3; s++) {
    out.push({metric: 'temp', labels: {room: `r${s}`}, samples: samples(T0, STEP, SPAN / STEP, (i, t) => (t >= gap[0] && t < gap[1] ? undefined : Math.round(Math.cos(i / 30 + s) * 1e4) / 100))})
  }
  out.push({metric: 'edge', samples: [1, 2, 3, 4, 5].map((k) => [T0 + k * 2 * HOUR - 1, k] as [number, number])})
  return out
}

async function thanostsCompact(bucketDir: string, extra: string[], dataDir: string): Promise<RunResult> {
  return runToEnd('node', [BIN, 'compact', `--objstore.config=${filesystemBucketYaml(bucketDir)}`, `--data-dir=${dataDir}`, `--http-address=127.0.0.1:${await freePort()}`, ...extra])
}

async function liveMetas(bucketDir: string): Promise<BlockMeta[]> {
  const out: BlockMeta[] = []
  for (const id of await readdir(bucketDir)) {
    const text = await readFile(path.join(bucketDir, id, 'meta.json')).catch(() => undefined)
    const marked = await stat(path.join(bucketDir, id, 'deletion-mark.json')).then(
      () => true,
      () => false,
    )
    if (text && !marked) out.push(parseMeta(text, id))
  }
  return out.sort((a, b) => a.minTime - b.minTime)
}

type SeriesSamples = Map<string, [number, number][]>

async function allSeries(address: string): Promise<SeriesSamples> {
  const c = new StoreClient(address)
  try {
    const out: SeriesSamples = new Map()
    for await (const f of c.series({minTime: -1e15, maxTime: 1e15, matchers: [new Matcher(MatchType.RE, '__name__', '.+')], partialResponse: false}, new AbortController().signal)) {
      if (f.series) out.set(labelsToString(f.series.labels), [...(out.get(labelsToString(f.series.labels)) ?? []), ...storeSamples(f.series).map((s) => [s.t, s.v] as [number, number])])
    }
    return out
  } finally {
    c.close()
  }
}

function lsShape(ls: LsBlock[]): string[] {
  return ls
    .map((b) => {
      const c = (b as unknown as {compaction: {level: number; sources?: string[]}}).compaction
      return `${b.minTime}-${b.maxTime} level ${c.level} sources ${c.sources?.length ?? 0} ${JSON.stringify(b.thanos.labels)}`
    })
    .sort()
}

describe('thanosts compact: two replicas with a gap each become one deduplicated block', function () {
  this.timeout(600_000)
  let root: string
  const dirs = {input: '', penalty: '', penaltyThanos: '', chain: '', chainThanos: ''}
  let inputStore: ThanosStoreHandle | undefined
  let query: ThanosQueryHandle | undefined
  const runs: Record<string, RunResult> = {}
  const stores: Record<string, ThanosStoreHandle> = {}
  const series: Record<string, SeriesSamples> = {}
  const want = {a: replica(GAP_A), b: replica(GAP_B)}

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'thanosts-compact-dedup-'))
    for (const k of Object.keys(dirs) as (keyof typeof dirs)[]) dirs[k] = path.join(root, k)
    const bucket = new FilesystemBucket({directory: dirs.input})
    await uploadBackfilled(bucket, {series: want.a, ext: {cluster: 'c1', replica: 'a'}})
    await uploadBackfilled(bucket, {series: want.b, ext: {cluster: 'c1', replica: 'b'}})
    for (const k of ['penalty', 'penaltyThanos', 'chain', 'chainThanos'] as const) await cp(dirs.input, dirs[k], {recursive: true})
    runs.penalty = await thanostsCompact(dirs.penalty, [...COMMON, '--deduplication.func=penalty'], path.join(root, 'data-p'))
    runs.chain = await thanostsCompact(dirs.chain, COMMON, path.join(root, 'data-c'))
    runs.penaltyThanos = await runThanosCompact(dirs.penaltyThanos, [...COMMON, '--deduplication.func=penalty'])
    runs.chainThanos = await runThanosCompact(dirs.chainThanos, COMMON)
    for (const k of ['penalty', 'penaltyThanos', 'chain', 'chainThanos'] as const) {
      stores[k] = await startThanosStore(dirs[k])
      series[k] = await allSeries(stores[k].grpcAddress)
    }
    inputStore = await startThanosStore(dirs.input)
    query = await startThanosQuery({endpoints: [inputStore.grpcAddress], replicaLabels: ['replica']})
  })

  after(async () => {
    await query?.stop()
    await inputStore?.stop()
    for (const s of Object.values(stores)) await s.stop()
    await rm(root, {recursive: true, force: true})
  })

  it('both runs exit 0 and log vertical compactions', () => {
    for (const k of ['penaltyThanos', 'chainThanos', 'penalty', 'chain']) assert.equal(runs[k]!.code, 0, `${k}: ${runs[k]!.output}`)
    assert.match(runs.penalty!.output, /vertical compaction/)
    assert.match(runs.penalty!.output, /overlapping_blocks=true/)
  })

  for (const func of ['penalty', 'chain'] as const) {
    it(`${func}: the same blocks as thanos compact, none with the replica label, none overlapping`, async () => {
      const ours = await thanosBucketLs(filesystemBucketYaml(dirs[func]))
      const theirs = await thanosBucketLs(filesystemBucketYaml(dirs[`${func}Thanos`]))
      assert.deepEqual(lsShape(ours), lsShape(theirs))
      assert.deepEqual(lsShape(ours), [`${T0}-${T0 + 8 * HOUR} level 3 sources 8 {"cluster":"c1"}`, `${T0 + 8 * HOUR}-${T0 + 10 * HOUR} level 2 sources 2 {"cluster":"c1"}`])
      const log = await thanosBucketVerify(dirs[func])
      assert.doesNotMatch(log, /detected issue|found overlapped blocks|level=error/, log)
      for (const m of await liveMetas(dirs[func])) assert.match(log, new RegExp(`msg="no issue" id=${m.ulid}`), log)
    })

  }

  it("chain (''): thanos store reads the same series and samples as from thanos compact's result", () => {
    assert.equal(series.chain!.size, 4)
    assert.deepEqual([...series.chain!].sort(), [...series.chainThanos!].sort())
  })

  it('penalty: each 2h range has the samples thanos query deduplicates from the original replicas over that range (or two more)', async () => {
    assert.equal(series.penalty!.size, 4)
    let compared = 0
    for (let k = 0; k < SPAN / (2 * HOUR); k++) {
      const end = T0 + (k + 1) * 2 * HOUR - 1
      const body = new URLSearchParams({query: 'temp[2h]', time: String(end / 1000), dedup: 'true'})
      const j = (await (await fetch(`${query!.url}/api/v1/query`, {method: 'POST', body})).json()) as {status: string; data: {result: {metric: Record<string, string>; values: [number, string][]}[]}}
      assert.equal(j.status, 'success')
      assert.equal(j.data.result.length, 3)
      for (const r of j.data.result) {
        const want = r.values.map(([t, v]) => [Math.round(t * 1000), Number(v)])
        const got = series.penalty!.get(`temp{cluster="c1", room="${r.metric.room}"}`)!.filter(([t]) => t > end - 2 * HOUR && t <= end)
        // Every sample the querier gives is ours, value for value; ours may have at most the two
        // samples the querier's penalty skips at a switch it makes and we do not (see the header).
        const ours = new Map(got)
        for (const [t, v] of want) assert.equal(ours.get(t!), v, `room ${r.metric.room}, range ${k}, @${t}`)
        assert.ok(got.length - want.length <= 2, `room ${r.metric.room}, range ${k}: ${got.length} samples, the querier ${want.length}`)
        if (got.length === want.length) assert.deepEqual(got, want)
        compared += got.length
      }
    }
    assert.ok(compared > 6000, `${compared} samples compared`)
  })

  it("penalty: a superset of the real thanos compact's samples, value for value", () => {
    let extra = 0
    for (const [k, theirs] of series.penaltyThanos!) {
      const ours = new Map(series.penalty!.get(k))
      for (const [t, v] of theirs) assert.equal(ours.get(t), v, `${k} @${t}`)
      extra += ours.size - theirs.length
    }
    assert.ok(extra >= 0)
  })

  it('penalty: each gap is filled from the other replica, every sample is one of the replicas\' own', () => {
    const a = new Map(want.a.map((s) => [s.labels?.room, new Map(s.samples)]))
    const b = new Map(want.b.map((s) => [s.labels?.room, new Map(s.samples)]))
    for (let s = 0; s < 3; s++) {
      const got = series.penalty!.get(`temp{cluster="c1", room="r${s}"}`)!
      assert.ok(got, `temp r${s}`)
      for (const [t, v] of got) assert.ok(a.get(`r${s}`)!.get(t) === v || b.get(`r${s}`)!.get(t) === v, `r${s} @${t}: ${v} is no replica's`)
      for (let i = 1; i < got.length; i++) assert.ok(got[i]![0] > got[i - 1]![0], 'timestamps ascend')
      for (const gap of [GAP_A, GAP_B]) {
        const inGap = got.filter(([t]) => t >= gap[0] && t < gap[1]).length
        // The penalty skips at most the first two samples after a switch of replica (2 x the interval).
        assert.ok(inGap >= (gap[1] - gap[0]) / STEP - 2, `r${s}: ${inGap} samples in the gap at ${gap[0]}`)
      }
      // The longest hole left in the series: no more than the penalty's two skipped scrapes.
      let hole = 0
      for (let i = 1; i < got.length; i++) hole = Math.max(hole, got[i]![0] - got[i - 1]![0])
      assert.ok(hole <= 3 * STEP, `r${s}: hole of ${hole} ms`)
    }
  })

  it("chain (''): every sample of both replicas once: the union, so both gaps vanish", () => {
    for (let s = 0; s < 3; s++) {
      const union = new Map([...want.a[s]!.samples, ...want.b[s]!.samples])
      assert.deepEqual(series.chain!.get(`temp{cluster="c1", room="r${s}"}`), [...union].sort((x, y) => x[0] - y[0]))
      assert.equal(union.size, SPAN / STEP)
    }
  })
})
