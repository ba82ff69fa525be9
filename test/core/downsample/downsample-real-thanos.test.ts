/**
 * downsampleBlock against the real `thanos tools bucket downsample`: the same raw blocks are
 * downsampled by both, raw → 5m and 5m → 1h, and the results must hold the same series and,
 * per aggregate, the same decoded samples; as our encoder follows Thanos's batches and windows,
 * the chunks must also be the same byte for byte.
 *
 * Two raw blocks spanning 10 days and 2 hours (5m needs 40h, 1h a 5m block of 10 days):
 * - `prom`: floats backfilled by promtool (gauges with NaN and ±Inf, counters with resets,
 *   gaps, irregular and sparse series, samples on window edges);
 * - `ours`: written by our block writer, for what promtool cannot write: stale markers, native
 *   histogram series (integer and float, counters with resets and schema changes, gauges,
 *   custom buckets; the chunk tests' fixtures) and a series that turns from floats to
 *   histograms.
 * The thanos 5m blocks are downsampled to 1h by us too, so each step is checked on the same input.
 */
import assert from 'node:assert/strict'
import {cp, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {execFile} from 'node:child_process'
import {promisify} from 'node:util'
import {BlockReader} from '../../../src/core/block/block-reader.js'
import {ChunkEncoding} from '../../../src/core/block/chunks-reader.js'
import type {BlockMeta} from '../../../src/core/block/meta.js'
import {writeBlock, type WriterSeries} from '../../../src/core/block/writer/write-block.js'
import {encodeFloatHistogramChunks, encodeHistogramChunks, encodeXorChunks, STALE_NAN} from '../../../src/core/chunkenc/index.js'
import {AggrType, CHUNK_ENC_AGGR, decodeAggr, isAggrAbsent} from '../../../src/core/downsample/aggr-chunk.js'
import {downsampleBlock, RES_1H, RES_5M} from '../../../src/core/downsample/downsample.js'
import {downsampleFloatBatch} from '../../../src/core/downsample/float-downsample.js'
import {planDownsampling} from '../../../src/core/downsample/plan.js'
import {FloatHistogram} from '../../../src/core/histogram/float-histogram.js'
import {Histogram} from '../../../src/core/histogram/histogram.js'
import {labelsToString} from '../../../src/core/labels/labels.js'
import {Matcher, MatchType} from '../../../src/core/labels/matcher.js'
import {nopLogger} from '../../../src/core/log.js'
import {FilesystemBucket} from '../../../src/core/objstore/filesystem.js'
import {uploadBlockDir} from '../../../src/core/shipper/upload.js'
import {prometheus3, startThanosQuery} from '../../helpers/peers.js'
import {uploadBlocksDir} from '../../helpers/bucket-blocks.js'
import {startThanosStore, thanosBucketVerify} from '../../helpers/thanos-bucket.js'
import {apiPost, queryParams} from '../../helpers/prom-api.js'
import {bucketMetas, runThanosDownsample} from '../../helpers/thanos-downsample.js'
import {nativeHistogramSeries, prng} from '../chunkenc/native-histogram-fixtures.js'

const execFileP = promisify(execFile)

const MIN = 60_000
const HOUR = 60 * MIN
/** 2024-01-01T12:00Z, a multiple of 486h: promtool's largest block range then holds the whole span in one block. */
const T0 = 1_704_110_400_000
const SPAN = 10 * 24 * HOUR + 2 * HOUR

function ts(t: number): string {
  return (t / 1000).toFixed(3)
}

/** The float data as OpenMetrics for promtool. */
function floatOpenMetrics(): string {
  const out: string[] = ['# TYPE ds_gauge gauge']
  const special = ['NaN', '+Inf', '-Inf', '1e308', '-0', '5e-324', '0.1']
  for (let s = 0; s < 2; s++) {
    for (let i = 0; i * 30_000 < SPAN; i++) {
      const v = i % 97 === 5 ? special[(i / 97 + s) % special.length | 0]! : String(Math.round(Math.sin(i / 50 + s) * 1e6) / 1e3)
      out.push(`ds_gauge{i="${s}"} ${v} ${ts(T0 + i * 30_000 + s * 7)}`)
    }
  }
  out.push('# TYPE ds_requests counter')
  for (const code of ['200', '500']) {
    let v = 0
    for (let i = 0; i * MIN < SPAN; i++) {
      // Resets to zero, to a small value, and two in a row.
      if (i % 1500 === 700) v = code === '200' ? 0 : 3.5
      else if (i === 4001 || i === 4002) v = i - 4000
      else v += (i % 7) * 0.25
      out.push(`ds_requests_total{code="${code}"} ${v} ${ts(T0 + i * MIN)}`)
    }
  }
  out.push('# TYPE ds_gappy gauge')
  for (let t = 0; t < SPAN; t += 45_000) {
    if ((t >= 24 * HOUR && t < 27 * HOUR) || (t >= 5 * 24 * HOUR + 10 * MIN && t < 6 * 24 * HOUR)) out.push(`ds_gappy ${t / 1000} ${ts(T0 + t)}`)
  }
  out.push('# TYPE ds_irregular gauge')
  const rnd = prng(42)
  for (let t = 0; t < SPAN; t += 1000 + Math.floor(rnd() * 20 * MIN)) out.push(`ds_irregular ${(rnd() * 100).toFixed(4)} ${ts(T0 + t)}`)
  out.push('# TYPE ds_edges gauge')
  // On the first and the last millisecond of 5m and 1h windows.
  for (let k = 1; k * 5 * MIN < SPAN; k++) {
    out.push(`ds_edges ${k} ${ts(T0 + k * 5 * MIN - 1)}`)
    out.push(`ds_edges ${-k} ${ts(T0 + k * 5 * MIN)}`)
  }
  out.push('# TYPE ds_short gauge', `ds_short 1 ${ts(T0 + 30 * HOUR + 1000)}`, `ds_short 2 ${ts(T0 + 30 * HOUR + 2000)}`, `ds_short 0.5 ${ts(T0 + 30 * HOUR + 3000)}`)
  out.push('# TYPE ds_single gauge', `ds_single 42 ${ts(T0 + 77 * HOUR)}`)
  out.push('# EOF', '')
  return out.join('\n')
}

/** The series promtool cannot write: stale markers, native histograms, a float→histogram series. */
function ourSeries(): WriterSeries[] {
  const out: WriterSeries[] = []
  const span: number[] = []
  for (let t = 0; t < SPAN; t += 5 * MIN) span.push(T0 + t)
  out.push({labels: [{name: '__name__', value: 'ds_span'}], chunks: xor(span, span.map((_, i) => i % 13))})
  const st: number[] = []
  const sv: number[] = []
  for (let i = 0; i < 600; i++) {
    st.push(T0 + 3 * HOUR + i * 30_000)
    sv.push(i % 50 === 49 ? STALE_NAN : i % 17)
  }
  out.push({labels: [{name: '__name__', value: 'ds_stale'}], chunks: xor(st, sv)})
  // The histogram fixtures at two speeds: every 15s (several per 5m window) and every 2m.
  for (const [scale, suffix] of [
    [1, ''],
    [8, '_slow'],
  ] as const) {
    for (const s of nativeHistogramSeries()) {
      const t = s.samples.map((x) => T0 + 30 * HOUR + x.t * scale)
      const hs = s.samples.map((x) => x.h)
      const chunks =
        hs[0] instanceof FloatHistogram
          ? encodeFloatHistogramChunks(t, hs as FloatHistogram[]).map((c) => ({...c, encoding: ChunkEncoding.FloatHistogram}))
          : encodeHistogramChunks(t, hs as Histogram[]).map((c) => ({...c, encoding: ChunkEncoding.Histogram}))
      out.push({labels: [{name: '__name__', value: s.name + suffix}], chunks})
    }
  }
  // Floats, then histograms from the chunk after: an encoding change between chunks.
  const mt: number[] = []
  const mv: number[] = []
  for (let i = 0; i < 200; i++) {
    mt.push(T0 + 50 * HOUR + i * 15_000)
    mv.push(i)
  }
  const mh = nativeHistogramSeries().find((s) => s.name === 'nh_long')!
  const hist = encodeHistogramChunks(
    mh.samples.map((x) => T0 + 50 * HOUR + 200 * 15_000 + x.t),
    mh.samples.map((x) => x.h as Histogram),
  ).map((c) => ({...c, encoding: ChunkEncoding.Histogram}))
  out.push({labels: [{name: '__name__', value: 'ds_mixed'}], chunks: [...xor(mt, mv), ...hist]})
  // The other way round, histograms then floats, in a stretch of its own.
  const back = encodeHistogramChunks(
    mh.samples.map((x) => T0 + 60 * HOUR + x.t),
    mh.samples.map((x) => x.h as Histogram),
  ).map((c) => ({...c, encoding: ChunkEncoding.Histogram}))
  const bt = mt.map((t) => t + 10 * HOUR + 420 * 15_000)
  out.push({labels: [{name: '__name__', value: 'ds_mixed_back'}], chunks: [...back, ...xor(bt, mv)]})
  // Histograms whose sum is NaN (not a stale marker) are left out of the aggregates.
  const nt: number[] = []
  const nh: Histogram[] = []
  for (let i = 0; i < 300; i++) {
    nt.push(T0 + 70 * HOUR + i * 20_000)
    nh.push(Histogram.of({schema: 0, count: 2 * i + 1, zeroCount: 1, sum: i % 10 === 3 ? NaN : i * 0.5, positiveSpans: [0, 1], positiveBuckets: [2 * i]}))
  }
  out.push({labels: [{name: '__name__', value: 'ds_hist_nan'}], chunks: encodeHistogramChunks(nt, nh).map((c) => ({...c, encoding: ChunkEncoding.Histogram}))})
  return out.sort((a, b) => (a.labels[0]!.value < b.labels[0]!.value ? -1 : 1))
}

/**
 * A 5m block as Thanos's issue 5272 left some: aggregate chunks, but also raw XOR chunks and
 * empty ones, which the 1h step turns into 5m aggregates or drops.
 */
function strayChunkSeries(): WriterSeries[] {
  const rawT: number[] = []
  const rawV: number[] = []
  for (let t = 0; t < SPAN; t += 5 * MIN) {
    rawT.push(T0 + t)
    rawV.push((rawT.length % 29) * 1.5)
  }
  const raw = xor(rawT, rawV)
  const empty = {minTime: raw[3]!.maxTime + 1, maxTime: raw[3]!.maxTime + 1, encoding: ChunkEncoding.XOR, data: Uint8Array.of(0, 0)}
  // Half aggregates of 60s samples (12h batches), half raw chunks of the same samples.
  const mixed: WriterSeries['chunks'][number][] = []
  const half = 5 * 24 * HOUR
  for (let b = 0; b < half; b += 12 * HOUR) {
    const t = new Float64Array(12 * 60)
    const v = new Float64Array(12 * 60)
    for (let i = 0; i < t.length; i++) {
      t[i] = T0 + b + i * MIN
      v[i] = (b / MIN + i) % 1000
    }
    mixed.push(downsampleFloatBatch(t, v, t.length, RES_5M))
  }
  const mt: number[] = []
  const mv: number[] = []
  for (let t = half; t < SPAN; t += MIN) {
    mt.push(T0 + t)
    mv.push((t / MIN) % 1000)
  }
  mixed.push(...xor(mt, mv))
  return [
    {labels: [{name: '__name__', value: 'ds_fix_mixed'}], chunks: mixed},
    {labels: [{name: '__name__', value: 'ds_fix_raw'}], chunks: [...raw.slice(0, 4), empty, ...raw.slice(4)]},
  ]
}

function xor(t: number[], v: number[]): {minTime: number; maxTime: number; encoding: number; data: Uint8Array}[] {
  return encodeXorChunks(t, v).map((c) => ({...c, encoding: ChunkEncoding.XOR}))
}

function num(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v)
}

function histText(h: FloatHistogram): string {
  return `s${h.schema} z${h.zeroThreshold}:${h.zeroCount} c${h.count} sum${num(h.sum)} p[${[...h.positiveSpans].join(',')}]${[...h.positiveBuckets].join(',')} n[${[...h.negativeSpans].join(',')}]${[...h.negativeBuckets].join(',')} cv${h.customValues ? [...h.customValues].join(',') : ''} hint${h.counterResetHint}`
}

interface DumpedSeries {
  labels: string
  chunks: {minTime: number; maxTime: number; encoding: number; data: Buffer}[]
  /** Per AggrType, every chunk's decoded samples in order, as text. */
  aggregates: string[][]
}

const ALL = [new Matcher(MatchType.RE, '__name__', '.*')]

/** Every series of a downsampled block: its chunks and, per aggregate, the decoded samples. */
async function dump(bucketDir: string, id: string): Promise<DumpedSeries[]> {
  const r = await BlockReader.open(new FilesystemBucket({directory: bucketDir}), id)
  const out: DumpedSeries[] = []
  for await (const s of r.series(ALL, -Infinity, Infinity)) {
    const aggregates: string[][] = [[], [], [], [], []]
    for (const c of s.chunks) {
      assert.equal(c.encoding, CHUNK_ENC_AGGR, `${labelsToString(s.labels)}: an aggregate chunk`)
      for (let at = 0; at < 5; at++) {
        const d = decodeAggr(c.data, at as AggrType)
        if (isAggrAbsent(d)) continue
        const it = d.iterator
        while (it.next()) {
          if (d.encoding === ChunkEncoding.XOR) aggregates[at]!.push(`${it.atT()} ${num(d.iterator.at())}`)
          else aggregates[at]!.push(`${it.atT()} ${histText((it as {atFloatHistogram(): FloatHistogram}).atFloatHistogram())}`)
        }
      }
    }
    out.push({labels: labelsToString(s.labels), chunks: s.chunks.map((c) => ({minTime: c.minTime, maxTime: c.maxTime, encoding: c.encoding, data: Buffer.from(c.data)})), aggregates})
  }
  return out
}

function assertSameDownsampled(ours: DumpedSeries[], theirs: DumpedSeries[], what: string): void {
  assert.deepEqual(
    ours.map((s) => s.labels),
    theirs.map((s) => s.labels),
    `${what}: the same series`,
  )
  for (let i = 0; i < ours.length; i++) {
    const o = ours[i]!
    const t = theirs[i]!
    for (let at = 0; at < 5; at++) assert.deepEqual(o.aggregates[at], t.aggregates[at], `${what}: ${o.labels} ${['count', 'sum', 'min', 'max', 'counter'][at]}`)
    assert.deepEqual(o.chunks, t.chunks, `${what}: ${o.labels}: the chunks byte for byte`)
  }
}

describe('downsample: against the real thanos tools bucket downsample', function () {
  this.timeout(600_000)
  let root: string
  let bucketDir: string
  let thanosOutput = ''
  /** Raw block ULIDs by source, then the blocks thanos made of each. */
  const raw: Record<'prom' | 'ours', string> = {prom: '', ours: ''}
  const thanos: Record<'prom' | 'ours' | 'fix' | 'nan', {m5: BlockMeta; h1: BlockMeta}> = {} as never
  let fixH1: BlockMeta
  let nanM5: BlockMeta
  let metasBefore: BlockMeta[] = []
  const ours: Record<'prom' | 'ours', {m5: BlockMeta; h1: BlockMeta; h1FromThanos: BlockMeta}> = {} as never
  let oursDir: string

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'thanosts-downsample-'))
    bucketDir = path.join(root, 'bucket')
    oursDir = path.join(root, 'ours')
    const bucket = new FilesystemBucket({directory: bucketDir})
    // prom: promtool's backfill, one block of the whole span.
    const om = path.join(root, 'floats.om')
    await writeFile(om, floatOpenMetrics())
    const promBlocks = path.join(root, 'prom-blocks')
    await execFileP(prometheus3().promtool, ['tsdb', 'create-blocks-from', 'openmetrics', '--max-block-duration=486h', '--quiet', om, promBlocks], {maxBuffer: 16 << 20})
    assert.equal((await readdir(promBlocks)).filter((n) => /^[0-9A-Z]{26}$/.test(n)).length, 1, 'promtool made one block')
    ;[raw.prom] = await uploadBlocksDir(bucket, promBlocks, {src: 'prom'})
    // ours: our block writer.
    const local = path.join(root, 'ours-raw')
    const m = await writeBlock(ourSeries(), {dir: local, minTime: T0, maxTime: T0 + SPAN, thanos: {labels: {src: 'ours'}, source: 'sidecar'}})
    await uploadBlockDir(path.join(local, m!.ulid), {bucket, hashFunc: '', concurrency: 1, logger: nopLogger})
    raw.ours = m!.ulid
    // Ours first, from the raw blocks as uploaded; then thanos over the bucket.
    for (const k of ['prom', 'ours'] as const) {
      const r = await BlockReader.open(bucket, raw[k])
      const m5 = await downsampleBlock(r, {dir: oursDir, resolution: RES_5M})
      assert.ok(m5, `${k}: a 5m block`)
      const h1 = await downsampleBlock(await BlockReader.open(new FilesystemBucket({directory: oursDir}), m5.ulid), {dir: oursDir, resolution: RES_1H})
      assert.ok(h1, `${k}: a 1h block`)
      ours[k] = {m5, h1, h1FromThanos: undefined as never}
    }
    // fix: a 5m block with stray raw and empty chunks.
    const fixLocal = path.join(root, 'fix-5m')
    const fm = await writeBlock(strayChunkSeries(), {dir: fixLocal, minTime: T0, maxTime: T0 + SPAN, thanos: {labels: {src: 'fix'}, source: 'compactor', resolution: RES_5M}})
    await uploadBlockDir(path.join(fixLocal, fm!.ulid), {bucket, hashFunc: '', concurrency: 1, logger: nopLogger})
    fixH1 = (await downsampleBlock(await BlockReader.open(bucket, fm!.ulid), {dir: oursDir, resolution: RES_1H}))!
    // nan: a 40h block with nothing to aggregate.
    const nanLocal = path.join(root, 'nan-raw')
    const nm = await writeBlock([{labels: [{name: '__name__', value: 'ds_nan'}], chunks: xor([T0, T0 + HOUR, T0 + 40 * HOUR], [NaN, STALE_NAN, NaN])}], {
      dir: nanLocal,
      minTime: T0,
      maxTime: T0 + 40 * HOUR + 1,
      thanos: {labels: {src: 'nan'}, source: 'sidecar'},
    })
    await uploadBlockDir(path.join(nanLocal, nm!.ulid), {bucket, hashFunc: '', concurrency: 1, logger: nopLogger})
    nanM5 = await downsampleBlock(await BlockReader.open(bucket, nm!.ulid), {dir: oursDir, resolution: RES_5M})
    metasBefore = await bucketMetas(bucketDir)
    // The first pass (raw → 5m) ends before the second (5m → 1h) starts: three 1h blocks mean all 5m ones are there.
    thanosOutput = await runThanosDownsample(bucketDir, (metas) => metas.filter((x) => x.thanos.downsample.resolution === RES_1H).length >= 3)
    for (const meta of await bucketMetas(bucketDir)) {
      const k = meta.thanos.labels.src as 'prom' | 'ours' | 'fix' | 'nan'
      thanos[k] ??= {} as never
      if (meta.thanos.downsample.resolution === RES_5M) thanos[k].m5 = meta
      if (meta.thanos.downsample.resolution === RES_1H) thanos[k].h1 = meta
    }
    for (const k of ['prom', 'ours'] as const) {
      const r = await BlockReader.open(bucket, thanos[k].m5.ulid)
      ours[k].h1FromThanos = (await downsampleBlock(r, {dir: oursDir, resolution: RES_1H}))!
    }
  })

  after(async () => {
    if (root) await rm(root, {recursive: true, force: true})
  })

  for (const k of ['prom', 'ours'] as const) {
    it(`${k}: raw → 5m as thanos, sample for sample and byte for byte`, async () => {
      const a = await dump(oursDir, ours[k].m5.ulid)
      const b = await dump(bucketDir, thanos[k].m5.ulid)
      assert.ok(b.length >= 5, `${k}: thanos wrote ${b.length} series\n${thanosOutput}`)
      assertSameDownsampled(a, b, `${k} 5m`)
    })

    it(`${k}: thanos's 5m → 1h as thanos, and from our own 5m block the same`, async () => {
      const b = await dump(bucketDir, thanos[k].h1.ulid)
      assertSameDownsampled(await dump(oursDir, ours[k].h1FromThanos.ulid), b, `${k} 1h from thanos's 5m`)
      assertSameDownsampled(await dump(oursDir, ours[k].h1.ulid), b, `${k} 1h from our 5m`)
    })

    it(`${k}: meta.json as thanos's: range, labels, compaction, resolution, source, counts`, () => {
      for (const [o, t] of [
        [ours[k].m5, thanos[k].m5],
        [ours[k].h1FromThanos, thanos[k].h1],
      ] as const) {
        assert.equal(o.minTime, t.minTime)
        assert.equal(o.maxTime, t.maxTime)
        assert.deepEqual(o.thanos.labels, t.thanos.labels)
        assert.deepEqual(o.compaction, t.compaction)
        assert.equal(o.thanos.downsample.resolution, t.thanos.downsample.resolution)
        assert.equal(o.thanos.source, 'compactor')
        assert.equal(t.thanos.source, 'compactor')
        for (const f of ['numSamples', 'numSeries', 'numChunks'] as const) assert.equal(o.stats[f], t.stats[f], `${k} ${f}`)
      }
    })
  }

  it('a 5m block with stray raw and empty chunks (thanos issue 5272) → 1h as thanos', async () => {
    const theirs = await dump(bucketDir, thanos.fix.h1.ulid)
    assertSameDownsampled(await dump(oursDir, fixH1.ulid), theirs, 'fix 1h')
    assert.deepEqual(
      theirs.map((s) => s.labels),
      ['ds_fix_mixed', 'ds_fix_raw'],
    )
    for (const f of ['numSamples', 'numSeries', 'numChunks'] as const) assert.equal(fixH1.stats[f], thanos.fix.h1.stats[f], f)
    assert.match(thanosOutput, /expected downsampled chunk .* got an empty/, 'thanos met the empty chunk')
  })

  it('chunk segment files and index are the very bytes thanos wrote (every series kept, so the same symbols)', async () => {
    const pairs: [BlockMeta, BlockMeta][] = [
      [ours.prom.m5, thanos.prom.m5],
      [ours.prom.h1FromThanos, thanos.prom.h1],
      [ours.ours.m5, thanos.ours.m5],
      [ours.ours.h1FromThanos, thanos.ours.h1],
      [fixH1, thanos.fix.h1],
    ]
    for (const [o, t] of pairs) {
      assert.deepEqual(o.thanos.segment_files, ['000001'])
      for (const f of ['index', 'chunks/000001']) {
        const a = await readFile(path.join(oursDir, o.ulid, f))
        const b = await readFile(path.join(bucketDir, t.ulid, f))
        assert.ok(a.equals(b), `${t.thanos.labels.src} ${t.thanos.downsample.resolution}: ${f} differs (${a.length} vs ${b.length} bytes)`)
      }
    }
  })

  it('a block with nothing to aggregate gives an empty 5m block, as thanos', async () => {
    assert.ok(thanos.nan.m5, 'thanos wrote a 5m block')
    assert.deepEqual(await dump(bucketDir, thanos.nan.m5.ulid), [])
    assert.deepEqual(await dump(oursDir, nanM5.ulid), [])
    assert.equal(nanM5.minTime, thanos.nan.m5.minTime)
    assert.equal(nanM5.maxTime, thanos.nan.m5.maxTime)
    for (const f of ['numSamples', 'numSeries', 'numChunks'] as const) assert.equal(nanM5.stats[f], thanos.nan.m5.stats[f], f)
  })

  it('planDownsampling picks the blocks thanos downsampled, and nothing once it has', async () => {
    const first = planDownsampling(metasBefore)
    assert.deepEqual(first.map((j) => [j.meta.thanos.labels.src, j.resolution]).sort(), [
      ['fix', RES_1H],
      ['nan', RES_5M],
      ['ours', RES_5M],
      ['prom', RES_5M],
    ])
    // What thanos made in its first pass: a 5m block of each raw block the plan named.
    const made = (await bucketMetas(bucketDir)).filter((m) => !metasBefore.some((b) => b.ulid === m.ulid))
    for (const j of first.filter((x) => x.resolution === RES_5M)) assert.ok(made.some((m) => m.thanos.downsample.resolution === RES_5M && m.compaction.sources!.join() === j.meta.compaction.sources!.join()), `thanos downsampled ${j.meta.ulid}`)
    assert.deepEqual(planDownsampling(await bucketMetas(bucketDir)), [])
  })

  it('the input had what the test is about: histograms, stale markers, a float→histogram series', async () => {
    const d = await dump(bucketDir, thanos.ours.m5.ulid)
    const mixed = d.find((s) => s.labels === 'ds_mixed')!
    assert.ok(mixed.aggregates[AggrType.Min]!.length > 0, 'float aggregates of ds_mixed')
    assert.ok(mixed.aggregates[AggrType.Sum]!.some((l) => l.includes(' s')), 'histogram sums of ds_mixed')
    assert.ok(d.filter((s) => s.labels.includes('nh_')).length >= 10, 'histogram series')
    // Counts add up to the raw samples less stale markers, in 5m and in 1h.
    const total = (x: DumpedSeries): number => x.aggregates[AggrType.Count]!.reduce((a, l) => a + Number(l.split(' ')[1]), 0)
    assert.equal(total(d.find((s) => s.labels === 'ds_stale')!), 600 - 12)
    assert.equal(total(d.find((s) => s.labels === 'ds_hist_nan')!), 300 - 30)
    const back = d.find((s) => s.labels === 'ds_mixed_back')!
    assert.ok(back.aggregates[AggrType.Min]!.length > 0 && back.aggregates[AggrType.Sum]!.some((l) => l.includes(' s')), 'ds_mixed_back has both kinds')
    const h1 = await dump(bucketDir, thanos.ours.h1.ulid)
    assert.equal(total(h1.find((s) => s.labels === 'ds_stale')!), 600 - 12)
    assert.equal(total(h1.find((s) => s.labels === 'ds_span')!), SPAN / (5 * MIN))
  })

  it('long series are cut into several chunks of ~140 windows, in 5m and in 1h', async () => {
    const m5 = await dump(bucketDir, thanos.prom.m5.ulid)
    const h1 = await dump(bucketDir, thanos.prom.h1.ulid)
    const g5 = m5.find((s) => s.labels === 'ds_gauge{i="0"}')!
    const g1 = h1.find((s) => s.labels === 'ds_gauge{i="0"}')!
    assert.equal(g5.aggregates[AggrType.Count]!.length, SPAN / (5 * MIN))
    assert.ok(g5.chunks.length >= 20, `${g5.chunks.length} 5m chunks`)
    // 1h windows are cut at the 5m chunks' boundaries: a window a boundary splits is there twice.
    const n1 = g1.aggregates[AggrType.Count]!.length
    assert.ok(n1 >= SPAN / HOUR && n1 <= SPAN / HOUR + g5.chunks.length, `${n1} 1h windows`)
    assert.ok(g1.chunks.length >= 2, `${g1.chunks.length} 1h chunks`)
  })

  it('the real thanos store and query answer from our downsampled blocks as from thanos\'s', async () => {
    const procs: {stop(): Promise<void>}[] = []
    try {
      const urls: string[] = []
      for (const [name, dir, blocks] of [
        ['ours', oursDir, [ours.prom.m5, ours.prom.h1, ours.ours.m5, ours.ours.h1]],
        ['thanos', bucketDir, [thanos.prom.m5, thanos.prom.h1, thanos.ours.m5, thanos.ours.h1]],
      ] as const) {
        const storeDir = path.join(root, `store-${name}`)
        const bucket = new FilesystemBucket({directory: storeDir})
        for (const m of blocks) {
          if (name === 'ours') await uploadBlockDir(path.join(dir, m.ulid), {bucket, hashFunc: '', concurrency: 1, logger: nopLogger})
          else await cp(path.join(dir, m.ulid), path.join(storeDir, m.ulid), {recursive: true})
        }
        const store = await startThanosStore(storeDir)
        procs.push(store)
        const q = await startThanosQuery({endpoints: [store.grpcAddress]})
        procs.push(q)
        urls.push(q.url)
      }
      const queries = [
        'sum_over_time(ds_gauge[1h])',
        'count_over_time(ds_gauge[1h])',
        'min_over_time(ds_gauge[1h])',
        'max_over_time(ds_gauge[1h])',
        'avg_over_time(ds_irregular[3h])',
        'rate(ds_requests_total[2h])',
        'increase(ds_requests_total[6h])',
        'ds_edges',
        'count_over_time(ds_stale[1h])',
        'histogram_count(rate(nh_long_slow[1h]))',
      ]
      for (const res of ['5m', '1h']) {
        for (const expr of queries) {
          const {path: p, params} = queryParams(expr, {startMs: T0 + HOUR, endMs: T0 + SPAN - HOUR, stepMs: HOUR}, {max_source_resolution: res})
          const [a, b] = await Promise.all(urls.map((u) => apiPost(u, p, params)))
          assert.equal(a!.code, b!.code, `${expr} @${res}: ${a!.text.slice(0, 300)} / ${b!.text.slice(0, 300)}`)
          assert.deepEqual(a!.body, b!.body, `${expr} @${res}`)
          if (!expr.startsWith('histogram')) assert.ok((a!.body.data as {result: unknown[]}).result.length > 0, `${expr} @${res}: some data: ${a!.text.slice(0, 300)}`)
        }
      }
    } finally {
      for (const p of procs.reverse()) await p.stop()
    }
  })

  it('thanos tools bucket verify finds no issue in our downsampled blocks', async () => {
    const dir = path.join(root, 'verify')
    const bucket = new FilesystemBucket({directory: dir})
    for (const m of [ours.prom.m5, ours.prom.h1, ours.ours.m5, ours.ours.h1, fixH1, nanM5]) await uploadBlockDir(path.join(oursDir, m.ulid), {bucket, hashFunc: '', concurrency: 1, logger: nopLogger})
    const log = await thanosBucketVerify(dir)
    assert.doesNotMatch(log, /level=(warn|error)/, log)
    assert.equal(log.match(/msg="no issue"/g)?.length, 6, log)
  })
})
