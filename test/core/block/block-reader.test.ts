import assert from 'node:assert/strict'
import {rm} from 'node:fs/promises'
import path from 'node:path'
import {BlockReader, type BlockSeries} from '../../../src/core/block/block-reader.js'
import {ulidTime} from '../../../src/core/block/ulid.js'
import {getLabel, type Label, type Labels} from '../../../src/core/labels/labels.js'
import {Matcher, MatchType} from '../../../src/core/labels/matcher.js'
import {FilesystemBucket} from '../../../src/core/objstore/filesystem.js'
import {prometheus3} from '../../helpers/peers.js'
import {PROMTOOL_BIN, startPrometheus, type PrometheusHandle} from '../../helpers/prometheus.js'
import {
  BLOCKS,
  createBlocks,
  datasetOpenMetrics,
  dbCopy,
  decodeChunks,
  goLabelsString,
  prometheusGet,
  prometheusRawSamples,
  promtoolAnalyze,
  promtoolDump,
  removeDbCopy,
  sameFloat,
  SPAN,
  T0,
  tempDir,
  type SampleSeries,
  type Tool,
} from './fixtures.js'

const SPARSE = 3000

/** Labels of a dump key `{a="x", b="y"}` (values Go-quoted; our data needs only JSON's escapes). */
function parseKey(key: string): Label[] {
  const out: Label[] = []
  for (const m of key.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) out.push({name: m[1]!, value: JSON.parse(`"${m[2]}"`) as string})
  return out
}

type M = [MatchType, string, string]
const m = (type: MatchType, name: string, value: string): M => [type, name, value]
const {EQ, NEQ, RE, NRE} = MatchType

/** Every matcher type and each special case of Thanos's toPostingGroup, alone and combined. */
const MATCHER_SETS: M[][] = [
  [m(EQ, '__name__', 'test_gauge')],
  [m(EQ, '__name__', 'test_gauge'), m(EQ, 'job', 'a')],
  [m(EQ, '__name__', 'nope')],
  [m(EQ, 'no_such_label', 'x')],
  [m(EQ, '__name__', 'test_gauge'), m(NEQ, 'job', 'a')],
  [m(NEQ, 'job', '')],
  [m(EQ, '__name__', 'test_requests_total'), m(NEQ, 'code', 'nope')],
  [m(RE, 'instance', 'i1|i2|i9')],
  [m(RE, 'instance', '(i1|i4)')],
  [m(RE, '__name__', '.*')],
  [m(RE, '__name__', '.+')],
  [m(RE, 'instance', 'i[0-3]')],
  [m(RE, '__name__', 'test_.*'), m(RE, 'instance', '(?i)I1')],
  [m(RE, 'job', 'a|'), m(EQ, '__name__', 'test_gauge')],
  [m(RE, 'job', 'a|'), m(RE, '__name__', 'gappy|test_gauge')],
  [m(NRE, 'instance', 'i1|i2'), m(EQ, '__name__', 'test_gauge')],
  [m(NRE, 'job', '.*'), m(EQ, '__name__', 'test_gauge')],
  [m(NRE, 'job', '.+'), m(RE, '__name__', 'test.*')],
  [m(NRE, 'instance', 'i.'), m(RE, '__name__', 'test.*')],
  [m(EQ, 'job', '')],
  [m(EQ, 'no_such_label', ''), m(EQ, '__name__', 'unicode_metric')],
  [m(RE, 'job', 'a|b'), m(NEQ, 'job', 'b')],
  [m(RE, 'job', 'a|b'), m(EQ, 'job', 'b'), m(EQ, 'job', 'a')],
  [m(NEQ, 'job', 'a'), m(NEQ, 'job', 'b'), m(EQ, '__name__', 'test_gauge')],
  [m(EQ, '__name__', 'sparse'), m(EQ, 'group', 'g7'), m(NEQ, 'shard', '3')],
  [m(EQ, '__name__', 'sparse'), m(RE, 'id', 's0000[0-9]|s02999')],
  [m(EQ, 'lang', '😀')],
  [m(EQ, 'lang', '\uFFFD')],
  [m(RE, 'lang', '日本語|😀')],
  [m(EQ, 'code', '<&>é"\\q')],
  [m(RE, 'code', '<&>é"\\\\q')],
]

function matchers(set: M[]): Matcher[] {
  return set.map(([t, n, v]) => new Matcher(t, n, v))
}

/** PromQL text of a matcher set; U+FFFD escaped, since Prometheus's lexer reads a raw one as invalid UTF-8. */
function selector(set: M[]): string {
  return `{${set.map(([t, n, v]) => `${n}${['=', '!=', '=~', '!~'][t]}${JSON.stringify(v).replace(/\uFFFD/g, '\\uFFFD')}`).join(',')}}`
}

async function collect(it: AsyncIterable<BlockSeries>): Promise<BlockSeries[]> {
  const out: BlockSeries[] = []
  for await (const s of it) out.push(s)
  return out
}

function assertSamplesEqual(got: {ts: number[]; vs: number[]}, want: {ts: number[]; vs: number[]}, what: string): void {
  assert.deepEqual(got.ts, want.ts, `${what}: timestamps`)
  assert.equal(got.vs.length, want.vs.length, `${what}: sample count`)
  for (let i = 0; i < got.vs.length; i++) {
    if (!sameFloat(got.vs[i]!, want.vs[i]!)) assert.fail(`${what}: sample ${i} at ${got.ts[i]}: got ${got.vs[i]}, want ${want.vs[i]}`)
  }
}

const FLAVOURS: {name: string; tool: () => Tool; promVersion: 2 | 3}[] = [
  {name: "Debian's promtool 2.42", tool: () => ({promtool: PROMTOOL_BIN, sandbox: false}), promVersion: 2},
  {name: "Prometheus 3's promtool", tool: () => ({promtool: prometheus3().promtool, sandbox: true}), promVersion: 3},
]

for (const flavour of FLAVOURS) {
  describe(`block reader over blocks from ${flavour.name}`, function () {
    this.timeout(240_000)
    let dir: string
    let db: string
    let tool: Tool
    let ids: string[]
    let readers: BlockReader[]
    let dumps: SampleSeries[][]
    let prom: PrometheusHandle | undefined
    let startedAt: number

    before(async () => {
      startedAt = Date.now()
      tool = flavour.tool()
      dir = await tempDir('reader')
      const blocks = path.join(dir, 'blocks')
      ids = await createBlocks(tool, datasetOpenMetrics(SPARSE), blocks)
      db = await dbCopy(blocks)
      const bucket = new FilesystemBucket({directory: blocks})
      readers = await Promise.all(ids.map((id) => BlockReader.open(bucket, id)))
      dumps = await Promise.all(readers.map((r) => promtoolDump(tool, db, r.meta.minTime, r.meta.maxTime - 1)))
      prom = await startPrometheus({version: flavour.promVersion, blocksFrom: blocks})
    })

    after(async () => {
      await prom?.stop()
      if (dir) await rm(dir, {recursive: true, force: true})
      if (db) await removeDbCopy(db)
    })

    it('opens the five 2h blocks promtool wrote, with their meta.json', () => {
      assert.equal(readers.length, BLOCKS)
      for (const [i, r] of readers.entries()) {
        assert.equal(r.id, ids[i])
        assert.equal(r.meta.version, 1)
        assert.equal(r.meta.compaction.level, 1)
        assert.deepEqual(r.meta.compaction.sources, [r.id])
        assert.ok(r.meta.minTime >= T0 + i * 2 * 3_600_000 && r.meta.maxTime <= T0 + (i + 1) * 2 * 3_600_000 + 1, `block ${i} range`)
        // promtool names blocks with the time it wrote them.
        assert.ok(ulidTime(r.id) >= startedAt - 1000 && ulidTime(r.id) <= Date.now(), `ULID time ${ulidTime(r.id)} of ${r.id}`)
        assert.equal(r.index.version, 2)
        assert.deepEqual(r.chunks.segments, ['000001'])
      }
    })

    it('reads every series and sample exactly as promtool tsdb dump prints them, in the same order', async () => {
      for (const [b, r] of readers.entries()) {
        const got = await collect(r.series(matchers([m(RE, '__name__', '.*')]), r.meta.minTime, r.meta.maxTime))
        const want = dumps[b]!
        assert.deepEqual(
          got.map((s) => goLabelsString(s.labels)),
          want.map((s) => s.key),
          `block ${b}: series`,
        )
        let samples = 0
        let chunks = 0
        for (const [i, s] of got.entries()) {
          const decoded = decodeChunks(s.chunks)
          assertSamplesEqual(decoded, want[i]!, `block ${b} ${want[i]!.key}`)
          samples += decoded.ts.length
          chunks += s.chunks.length
          for (const [k, c] of s.chunks.entries()) {
            const d = decodeChunks([c])
            assert.equal(c.minTime, d.ts[0], 'chunk minTime is its first sample')
            assert.equal(c.maxTime, d.ts[d.ts.length - 1], 'chunk maxTime is its last sample')
            if (k > 0) assert.ok(c.minTime > s.chunks[k - 1]!.maxTime, 'chunks ascending, not overlapping')
          }
        }
        assert.equal(samples, r.meta.stats.numSamples, `block ${b}: numSamples`)
        assert.equal(chunks, r.meta.stats.numChunks, `block ${b}: numChunks`)
        assert.equal(got.length, r.meta.stats.numSeries, `block ${b}: numSeries`)
      }
    })

    it("serves the same samples as the real Prometheus's HTTP API over the same blocks", async () => {
      const api = await prometheusRawSamples(prom!.url, T0 + SPAN, SPAN + 1000)
      const ours = new Map<string, {ts: number[]; vs: number[]}>()
      for (const r of readers) {
        for await (const s of r.series(matchers([m(RE, '__name__', '.+')]), r.meta.minTime, r.meta.maxTime)) {
          const key = goLabelsString(s.labels)
          const d = decodeChunks(s.chunks)
          const acc = ours.get(key) ?? {ts: [], vs: []}
          acc.ts.push(...d.ts)
          acc.vs.push(...d.vs)
          ours.set(key, acc)
        }
      }
      assert.deepEqual([...ours.keys()].sort(), [...api.keys()].sort())
      for (const [key, s] of ours) assertSamplesEqual(s, api.get(key)!, key)
    })

    it('lists label names and values as the dump has them and as the API reports', async () => {
      const allNames = new Set<string>()
      const allValues = new Map<string, Set<string>>()
      for (const [b, r] of readers.entries()) {
        const names = new Set<string>()
        const values = new Map<string, Set<string>>()
        for (const s of dumps[b]!) {
          for (const l of parseKey(s.key)) {
            names.add(l.name)
            if (!values.has(l.name)) values.set(l.name, new Set())
            values.get(l.name)!.add(l.value)
          }
        }
        const byteOrder = (a: string, c: string): number => Buffer.compare(Buffer.from(a), Buffer.from(c))
        assert.deepEqual(r.index.labelNames(), [...names].sort(byteOrder), `block ${b}: names`)
        for (const [n, vs] of values) {
          assert.deepEqual(await r.labelValues(n), [...vs].sort(byteOrder), `block ${b}: values of ${n}`)
          if (!allValues.has(n)) allValues.set(n, new Set())
          for (const v of vs) allValues.get(n)!.add(v)
        }
        for (const n of names) allNames.add(n)
        assert.deepEqual(await r.labelValues('no_such_label'), [])
        // With matchers: only the series selected.
        assert.deepEqual(await r.labelNames(matchers([m(EQ, '__name__', 'test_gauge')])), ['__name__', 'instance', 'job'])
        assert.deepEqual(await r.labelValues('job', matchers([m(EQ, 'instance', 'i3')])), ['b'])
        assert.deepEqual(await r.labelValues('instance', matchers([m(EQ, 'job', 'a')])), ['i0', 'i2', 'i4'])
      }
      const start = String(T0 / 1000)
      const end = String((T0 + SPAN) / 1000)
      const apiNames = await prometheusGet<string[]>(prom!.url, `/api/v1/labels?start=${start}&end=${end}`)
      assert.deepEqual([...allNames].sort(), [...apiNames].sort())
      for (const n of ['job', 'lang', 'code', 'instance']) {
        const apiValues = await prometheusGet<string[]>(prom!.url, `/api/v1/label/${n}/values?start=${start}&end=${end}`)
        assert.deepEqual([...allValues.get(n)!].sort(), [...apiValues].sort(), `values of ${n}`)
      }
    })

    it('selects series for every matcher type as a brute-force filter of all series and as the API', async () => {
      for (const [b, r] of readers.entries()) {
        const all = dumps[b]!.map((s) => ({key: s.key, labels: parseKey(s.key) as Labels}))
        for (const set of MATCHER_SETS) {
          const ms = matchers(set)
          const want = all.filter((s) => ms.every((x) => x.matches(getLabel(s.labels, x.name)))).map((s) => s.key)
          const got = (await collect(r.series(ms, r.meta.minTime, r.meta.maxTime, {skipChunks: true}))).map((s) => goLabelsString(s.labels))
          assert.deepEqual(got, want, `block ${b} ${selector(set)}`)
          // Prometheus refuses selectors whose matchers all match the empty string.
          if (!ms.some((x) => !x.matches(''))) continue
          const q = new URLSearchParams({'match[]': selector(set), start: String(r.meta.minTime / 1000), end: String((r.meta.maxTime - 1) / 1000)})
          const api = await prometheusGet<Record<string, string>[]>(prom!.url, `/api/v1/series?${q}`)
          assert.deepEqual(got.slice().sort(), api.map((x) => goLabelsString(x)).sort(), `block ${b} ${selector(set)} vs API`)
        }
      }
    })

    it('returns only chunks overlapping [mint, maxt], with every sample the dump has in that window', async () => {
      const r = readers[0]!
      const mint = T0 + 30 * 60_000 + 7_000
      const maxt = T0 + 50 * 60_000
      const got = await collect(r.series(matchers([m(RE, '__name__', '.+')]), mint, maxt))
      const want = await promtoolDump(tool, db, mint, maxt)
      assert.deepEqual(
        got.map((s) => goLabelsString(s.labels)),
        want.map((s) => s.key),
      )
      let chunks = 0
      for (const [i, s] of got.entries()) {
        for (const c of s.chunks) assert.ok(c.maxTime >= mint && c.minTime <= maxt, 'chunk overlaps the window')
        chunks += s.chunks.length
        const d = decodeChunks(s.chunks)
        const inWindow = {ts: [] as number[], vs: [] as number[]}
        d.ts.forEach((t, k) => {
          if (t >= mint && t <= maxt) {
            inWindow.ts.push(t)
            inWindow.vs.push(d.vs[k]!)
          }
        })
        assertSamplesEqual(inWindow, want[i]!, want[i]!.key)
      }
      assert.ok(chunks < r.meta.stats.numChunks! / 2, `a 20-minute window reads few chunks (${chunks})`)
    })

    it("agrees with promtool tsdb analyze's counts", async () => {
      for (const r of readers) {
        const a = await promtoolAnalyze(tool, db, r.id, flavour.promVersion === 3)
        const series = await collect(r.series(matchers([m(RE, '__name__', '.*')]), r.meta.minTime, r.meta.maxTime))
        assert.equal(series.length, a.series)
        assert.equal(r.index.labelNames().length, a.labelNames)
        let pairs = 0
        for (const n of r.index.labelNames()) pairs += r.index.labelValues(n).length
        assert.equal(pairs, a.uniquePairs)
        assert.equal(
          series.reduce((n, s) => n + s.labels.length, 0),
          a.totalPairs,
        )
        if (a.samplesPerChunk) {
          const counts = series.flatMap((s) => s.chunks.map((c) => decodeChunks([c]).ts.length)).sort((x, y) => x - y)
          const bytes = series.flatMap((s) => s.chunks.map((c) => c.data.length)).sort((x, y) => x - y)
          const mma = (l: number[]): [number, number, number] => [l[0]!, Math.floor(l.reduce((x, y) => x + y, 0) / l.length), l[l.length - 1]!]
          assert.deepEqual(mma(counts), a.samplesPerChunk, 'samples per chunk min/avg/max')
          assert.deepEqual(mma(bytes), a.bytesPerChunk, 'bytes per chunk min/avg/max')
        }
      }
    })

    it('streams the same series in small batches as in one', async () => {
      const r = readers[1]!
      const ms = matchers([m(RE, '__name__', 'test_.*|sparse')])
      const one = await collect(r.series(ms, r.meta.minTime, r.meta.maxTime, {batchSize: 100_000}))
      const small = await collect(r.series(ms, r.meta.minTime, r.meta.maxTime, {batchSize: 7}))
      assert.equal(small.length, one.length)
      for (let i = 0; i < one.length; i++) {
        assert.deepEqual(small[i]!.labels, one[i]!.labels)
        assert.deepEqual(
          small[i]!.chunks.map((c) => Buffer.from(c.data).toString('hex')),
          one[i]!.chunks.map((c) => Buffer.from(c.data).toString('hex')),
        )
      }
    })
  })
}
