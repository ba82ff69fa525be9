/**
 * `thanosts compact` as a user runs it (the CLI), over FILESYSTEM buckets of blocks written by
 * the Debian promtool (`create-blocks-from openmetrics`) and shipped with external labels, checked
 * with the real Thanos: `thanos tools bucket ls` / `verify` accept the result, `thanos store`
 * reads the same series and samples as from the input, `thanos query` answers query_range as
 * before, and the real `thanos compact` on a copy of the same input gives the same blocks
 * (ranges, levels, sources) and the same series and samples.
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
/** 2024-01-01T00:00Z: a multiple of 8h, so the 8h range [T0, T0+8h) is aligned. */
const T0 = Date.UTC(2024, 0, 1)
const SPAN = 10 * HOUR
const COMMON = ['--consistency-delay=0s', '--downsampling.disable', '--log.level=debug']

async function thanostsCompact(bucketDir: string, extra: string[], dataDir: string): Promise<RunResult> {
  return runToEnd('node', [BIN, 'compact', `--objstore.config=${filesystemBucketYaml(bucketDir)}`, `--data-dir=${dataDir}`, `--http-address=127.0.0.1:${await freePort()}`, ...extra])
}

/** Blocks of a bucket directory that have a meta.json, by ULID. */
async function metasOf(bucketDir: string): Promise<Map<string, BlockMeta>> {
  const out = new Map<string, BlockMeta>()
  for (const id of (await readdir(bucketDir)).sort()) {
    const text = await readFile(path.join(bucketDir, id, 'meta.json')).catch(() => undefined)
    if (text) out.set(id, parseMeta(text, id))
  }
  return out
}

async function hasFile(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  )
}

/** Blocks without a deletion mark. */
async function liveMetas(bucketDir: string): Promise<BlockMeta[]> {
  const out: BlockMeta[] = []
  for (const [id, m] of await metasOf(bucketDir)) if (!(await hasFile(path.join(bucketDir, id, 'deletion-mark.json')))) out.push(m)
  return out.sort((a, b) => a.minTime - b.minTime)
}

type SeriesSamples = Map<string, Map<number, number>>

/** Every series a StoreAPI returns for all time, samples by timestamp (one per timestamp). */
async function allSeries(address: string): Promise<SeriesSamples> {
  const c = new StoreClient(address)
  try {
    const out: SeriesSamples = new Map()
    for await (const f of c.series({minTime: -1e15, maxTime: 1e15, matchers: [new Matcher(MatchType.RE, '__name__', '.+')], partialResponse: false}, new AbortController().signal)) {
      if (!f.series) continue
      const k = labelsToString(f.series.labels)
      const m = out.get(k) ?? new Map<number, number>()
      for (const s of storeSamples(f.series)) {
        if (m.has(s.t)) assert.equal(m.get(s.t), s.v, `${k} @${s.t}: two different values`)
        m.set(s.t, s.v)
      }
      out.set(k, m)
    }
    return out
  } finally {
    c.close()
  }
}

function sorted(m: SeriesSamples): [string, [number, number][]][] {
  return [...m].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, [...v].sort((a, b) => a[0] - b[0])])
}

async function queryRange(url: string, query: string, start: number, end: number, step: number, extra: Record<string, string> = {}): Promise<unknown> {
  const body = new URLSearchParams({query, start: String(start / 1000), end: String(end / 1000), step: String(step / 1000), ...extra})
  const j = (await (await fetch(`${url}/api/v1/query_range`, {method: 'POST', body})).json()) as {status: string; data: unknown; error?: string}
  assert.equal(j.status, 'success', j.error)
  return j.data
}

function lsShape(ls: LsBlock[]): string[] {
  return ls
    .map((b) => {
      const c = (b as unknown as {compaction: {level: number; sources?: string[]}}).compaction
      return `${b.minTime}-${b.maxTime} level ${c.level} sources ${c.sources?.length ?? 0} ${JSON.stringify(b.thanos.labels)}`
    })
    .sort()
}

function dataset(): SeriesSpec[] {
  const out: SeriesSpec[] = []
  for (let s = 0; s < 5; s++) out.push({metric: 'test_gauge', labels: {instance: `i${s}`, job: s % 2 ? 'b' : 'a'}, samples: samples(T0, 15_000, SPAN / 15_000, (i) => Math.round(Math.sin(i / 40 + s) * 1e6) / 1e3)})
  for (const code of ['200', '500']) out.push({metric: 'http_requests', type: 'counter', labels: {code}, samples: samples(T0, 60_000, SPAN / 60_000, (i) => (i < 300 ? i * 3 : (i - 300) * 2))})
  // One sample at the last millisecond of each 2h block, so the blocks span their whole range
  // (a 2h block ends at its last sample + 1 ms; the planner merges a range only when it is full).
  out.push({metric: 'edge', samples: [1, 2, 3, 4, 5].map((k) => [T0 + k * 2 * HOUR - 1, k] as [number, number])})
  out.push({metric: 'gappy', labels: {phase: 'x'}, samples: samples(T0, 30_000, SPAN / 30_000, (i, t) => (t - T0 < HOUR || (t - T0 >= 5 * HOUR && t - T0 < 6 * HOUR) ? i : undefined))})
  return out
}

describe('thanosts compact: 2h blocks of promtool into 8h, as thanos compact', function () {
  this.timeout(600_000)
  let root: string
  const dirs = {input: '', ours: '', theirs: '', delayed: '', gc: ''}
  let ours: RunResult
  let theirs: RunResult
  let inputIds: string[]
  const stores: Record<string, ThanosStoreHandle> = {}
  let qInput: ThanosQueryHandle | undefined
  let qOurs: ThanosQueryHandle | undefined

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'thanosts-compact-'))
    for (const k of Object.keys(dirs) as (keyof typeof dirs)[]) dirs[k] = path.join(root, k)
    inputIds = await uploadBackfilled(new FilesystemBucket({directory: dirs.input}), {series: dataset(), ext: {cluster: 'c1', env: 'test'}})
    for (const k of ['ours', 'theirs', 'delayed', 'gc'] as const) await cp(dirs.input, dirs[k], {recursive: true})
    ours = await thanostsCompact(dirs.ours, [...COMMON, '--delete-delay=0s'], path.join(root, 'data-ours'))
    theirs = await runThanosCompact(dirs.theirs, [...COMMON, '--delete-delay=0s'])
    for (const k of ['input', 'ours', 'theirs'] as const) stores[k] = await startThanosStore(dirs[k])
    qInput = await startThanosQuery({endpoints: [stores.input!.grpcAddress]})
    qOurs = await startThanosQuery({endpoints: [stores.ours!.grpcAddress]})
  })

  after(async () => {
    await qInput?.stop()
    await qOurs?.stop()
    for (const s of Object.values(stores)) await s.stop()
    await rm(root, {recursive: true, force: true})
  })

  it('runs once and exits 0, logging its progress', () => {
    assert.equal(theirs.code, 0, theirs.output)
    assert.equal(inputIds.length, 5, 'promtool wrote five 2h blocks')
    assert.equal(ours.code, 0, ours.output)
    for (const msg of ['compaction available and planned', 'compacted blocks', 'uploaded block', 'marking compacted block for deletion', 'deleted block marked for deletion', 'compaction iterations done']) {
      assert.match(ours.output, new RegExp(msg), msg)
    }
  })

  it('leaves the blocks thanos compact leaves: one 8h block of level 2 from the first four, the newest 2h block untouched', async () => {
    const [o, t] = [await thanosBucketLs(filesystemBucketYaml(dirs.ours)), await thanosBucketLs(filesystemBucketYaml(dirs.theirs))]
    assert.deepEqual(lsShape(o), lsShape(t))
    assert.deepEqual(lsShape(o), [`${T0}-${T0 + 8 * HOUR} level 2 sources 4 {"cluster":"c1","env":"test"}`, `${T0 + 8 * HOUR}-${T0 + 10 * HOUR} level 1 sources 1 {"cluster":"c1","env":"test"}`])
    // --delete-delay=0s: the inputs are deleted in the next pass, by both.
    assert.deepEqual((await readdir(dirs.ours)).filter((n) => inputIds.includes(n)), [inputIds[4]])
    assert.deepEqual((await readdir(dirs.theirs)).filter((n) => inputIds.includes(n)), [inputIds[4]])
  })

  it('writes the compacted meta as Thanos: sources, parents, group labels, source compactor, files', async () => {
    const m = (await liveMetas(dirs.ours))[0]!
    assert.deepEqual(m.compaction.sources, inputIds.slice(0, 4))
    assert.deepEqual(
      m.compaction.parents?.map((p) => p.ulid),
      inputIds.slice(0, 4),
    )
    assert.deepEqual([m.thanos.labels, m.thanos.source, m.thanos.downsample.resolution], [{cluster: 'c1', env: 'test'}, 'compactor', 0])
    assert.deepEqual(m.thanos.files?.map((f) => f.rel_path), ['chunks/000001', 'index', 'meta.json'])
    const t = (await liveMetas(dirs.theirs))[0]!
    assert.deepEqual([m.stats.numSeries, m.stats.numSamples], [t.stats.numSeries, t.stats.numSamples])
  })

  it('writes the compacted block byte for byte as thanos compact: index and chunk segment', async () => {
    const [m, t] = [(await liveMetas(dirs.ours))[0]!, (await liveMetas(dirs.theirs))[0]!]
    for (const f of ['index', 'chunks/000001']) {
      const [a, b] = [await readFile(path.join(dirs.ours, m.ulid, f)), await readFile(path.join(dirs.theirs, t.ulid, f))]
      assert.ok(a.equals(b), `${f}: ${a.length} bytes, thanos ${b.length}`)
    }
  })

  it('thanos tools bucket verify finds no issue', async () => {
    const log = await thanosBucketVerify(dirs.ours)
    assert.doesNotMatch(log, /detected issue|found overlapped blocks|level=error/, log)
    for (const m of await liveMetas(dirs.ours)) assert.match(log, new RegExp(`msg="no issue" id=${m.ulid}`), log)
  })

  it('thanos store reads the same series and samples as from the input, and as from thanos compact\'s result', async () => {
    const before = await allSeries(stores.input!.grpcAddress)
    assert.equal(before.size, 9)
    assert.deepEqual(sorted(await allSeries(stores.ours!.grpcAddress)), sorted(before))
    assert.deepEqual(sorted(await allSeries(stores.theirs!.grpcAddress)), sorted(before))
  })

  for (const q of ['test_gauge', 'rate(http_requests_total[5m])', 'sum by (job) (test_gauge)', 'count_over_time({__name__=~".+"}[30m])', 'gappy']) {
    it(`thanos query answers query_range ${q} as before the compaction`, async () => {
      const want = (await queryRange(qInput!.url, q, T0, T0 + SPAN, 60_000)) as {result: unknown[]}
      assert.ok(want.result.length > 0)
      assert.deepEqual(await queryRange(qOurs!.url, q, T0, T0 + SPAN, 60_000), want)
    })
  }

  it('with the default --delete-delay the inputs stay, marked for deletion; a later run with --delete-delay=0s deletes them', async () => {
    const data = path.join(root, 'data-delayed')
    const r = await thanostsCompact(dirs.delayed, COMMON, data)
    assert.equal(r.code, 0, r.output)
    for (const id of inputIds.slice(0, 4)) {
      const mark = JSON.parse(await readFile(path.join(dirs.delayed, id, 'deletion-mark.json'), 'utf8')) as {id: string; version: number; details: string; deletion_time: number}
      assert.deepEqual([mark.id, mark.version, mark.details], [id, 1, 'source of compacted block'])
      assert.ok(Math.abs(mark.deletion_time - Date.now() / 1000) < 600)
      assert.ok(await hasFile(path.join(dirs.delayed, id, 'meta.json')))
    }
    assert.ok(!(await hasFile(path.join(dirs.delayed, inputIds[4]!, 'deletion-mark.json'))))
    const again = await thanostsCompact(dirs.delayed, [...COMMON, '--delete-delay=0s'], data)
    assert.equal(again.code, 0, again.output)
    const left = await readdir(dirs.delayed)
    for (const id of inputIds.slice(0, 4)) assert.ok(!left.includes(id), `${id} deleted`)
    assert.equal((await liveMetas(dirs.delayed)).length, 2)
  })

  it('garbage collection: sources of a compacted block left without deletion marks (a crash after the upload) get marked "outdated block", as thanos compact marks them', async () => {
    const r = await thanostsCompact(dirs.gc, COMMON, path.join(root, 'data-gc'))
    assert.equal(r.code, 0, r.output)
    for (const id of inputIds.slice(0, 4)) await rm(path.join(dirs.gc, id, 'deletion-mark.json'))
    await cp(dirs.gc, `${dirs.gc}-thanos`, {recursive: true})
    const [again, theirs] = [await thanostsCompact(dirs.gc, COMMON, path.join(root, 'data-gc')), await runThanosCompact(`${dirs.gc}-thanos`, COMMON)]
    assert.equal(again.code, 0, again.output)
    assert.equal(theirs.code, 0, theirs.output)
    const details = async (dir: string): Promise<string[]> => {
      const out: string[] = []
      for (const id of inputIds) {
        const t = await readFile(path.join(dir, id, 'deletion-mark.json'), 'utf8').catch(() => undefined)
        out.push(t ? `${id} ${(JSON.parse(t) as {details: string}).details}` : `${id} -`)
      }
      return out
    }
    assert.deepEqual(await details(dirs.gc), await details(`${dirs.gc}-thanos`))
    assert.deepEqual(await details(dirs.gc), [...inputIds.slice(0, 4).map((id) => `${id} outdated block`), `${inputIds[4]} -`])
    assert.match(again.output, /marking outdated block for deletion/)
  })
})
