/**
 * The block writer against the real readers of blocks: blocks backfilled by Debian's promtool
 * 2.42 are read with our BlockReader and written again by writeBlock, then
 * - `promtool tsdb dump` (2.42 and Prometheus 3's) of ours equals the original's;
 * - `promtool tsdb analyze` accepts ours and counts what it counts in the original;
 * - a real Prometheus 3 on a data dir holding only our blocks answers query_range as one on the
 *   originals, and so does a real thanos store + thanos query over them once uploaded;
 * - the real `thanos tools bucket verify` finds no issue in ours (FILESYSTEM and S3);
 * - our reader reads ours back chunk for chunk equal to the originals.
 * Blocks that Prometheus 3 wrote (backfilled, and compacted into 1 MiB segments) come out
 * byte for byte the same. Plus the edges: refused input, series without chunks, segment
 * rollover, histogram chunks, negative timestamps, tables larger than the write buffer.
 */
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {cp, mkdir, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'
import {BlockReader, type BlockSeries} from '../../../src/core/block/block-reader.js'
import {ChunkEncoding} from '../../../src/core/block/chunks-reader.js'
import {parseMeta, type BlockMeta} from '../../../src/core/block/meta.js'
import {newUlid} from '../../../src/core/block/ulid.js'
import {TMP_FOR_CREATION_SUFFIX, writeBlock, type WriterSeries} from '../../../src/core/block/writer/write-block.js'
import {encodeFloatHistogramChunks, encodeHistogramChunks, encodeXorChunks} from '../../../src/core/chunkenc/index.js'
import {BadDataError} from '../../../src/core/errors.js'
import {FloatHistogram} from '../../../src/core/histogram/float-histogram.js'
import {Histogram} from '../../../src/core/histogram/histogram.js'
import {compareLabels, labelsToString} from '../../../src/core/labels/labels.js'
import {Matcher, MatchType} from '../../../src/core/labels/matcher.js'
import {bucketFromConfig} from '../../../src/core/objstore/config.js'
import {FilesystemBucket} from '../../../src/core/objstore/filesystem.js'
import {nopLogger} from '../../../src/core/log.js'
import {uploadBlockDir} from '../../../src/core/shipper/upload.js'
import {peer, prometheus3, startPeer, startThanosQuery, type PeerProcess, type ThanosQueryHandle} from '../../helpers/peers.js'
import {freePort} from '../../helpers/ports.js'
import {startSeaweedS3, type SeaweedS3} from '../../helpers/s3.js'
import {PROMTOOL_BIN, startPrometheus, type PrometheusHandle} from '../../helpers/prometheus.js'
import {createBlocks, datasetOpenMetrics, dbCopy, HOUR, promtoolAnalyze, promtoolDump, removeDbCopy, SPAN, T0, tempDir, type Tool} from './fixtures.js'

const execFileP = promisify(execFile)
const ALL = [new Matcher(MatchType.RE, '__name__', '.+')]
const DEBIAN: Tool = {promtool: PROMTOOL_BIN, sandbox: false}
const QUERIES = ['test_gauge', 'rate(test_requests_total[5m])', 'sum by (group) (sparse)', 'count_over_time({__name__=~".+"}[30m])', 'gappy', 'unicode_metric']

async function collect(it: AsyncIterable<BlockSeries>): Promise<BlockSeries[]> {
  const out: BlockSeries[] = []
  for await (const s of it) out.push(s)
  return out
}

async function openBlock(dir: string, id: string): Promise<BlockReader> {
  return BlockReader.open(new FilesystemBucket({directory: dir}), id)
}

/** Every series of `id` in `dir`, chunks copied out of the read buffers. */
async function readAll(dir: string, id: string): Promise<BlockSeries[]> {
  const r = await openBlock(dir, id)
  const out = await collect(r.series(ALL, r.meta.minTime, r.meta.maxTime))
  return out.map((s) => ({labels: s.labels, chunks: s.chunks.map((c) => ({...c, data: Uint8Array.from(c.data)}))}))
}

/** Reads block `id` of `src` with our reader and writes it into `dst` with our writer. */
async function rewrite(src: string, id: string, dst: string, segmentSize?: number): Promise<BlockMeta> {
  const r = await openBlock(src, id)
  const meta = await writeBlock(r.series(ALL, r.meta.minTime, r.meta.maxTime), {
    dir: dst,
    minTime: r.meta.minTime,
    maxTime: r.meta.maxTime,
    compaction: r.meta.compaction,
    segmentSize,
  })
  assert.ok(meta, `block ${id} rewritten`)
  return meta
}

function assertSameSeries(got: BlockSeries[], want: BlockSeries[], what: string): void {
  assert.equal(got.length, want.length, `${what}: series count`)
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!
    const w = want[i]!
    assert.equal(labelsToString(g.labels), labelsToString(w.labels), `${what}: series ${i}`)
    assert.equal(g.chunks.length, w.chunks.length, `${what}: ${labelsToString(w.labels)}: chunk count`)
    for (let j = 0; j < w.chunks.length; j++) {
      const gc = g.chunks[j]!
      const wc = w.chunks[j]!
      assert.deepEqual([gc.minTime, gc.maxTime, gc.encoding], [wc.minTime, wc.maxTime, wc.encoding], `${what}: ${labelsToString(w.labels)}: chunk ${j}`)
      assert.ok(Buffer.from(gc.data).equals(Buffer.from(wc.data)), `${what}: ${labelsToString(w.labels)}: chunk ${j} bytes`)
    }
  }
}

async function queryRange(url: string, query: string, start: number, end: number, step: number): Promise<unknown> {
  const body = new URLSearchParams({query, start: String(start / 1000), end: String(end / 1000), step: String(step / 1000)})
  const r = await fetch(`${url}/api/v1/query_range`, {method: 'POST', body})
  const j = (await r.json()) as {status: string; data: unknown; error?: string}
  if (j.status !== 'success') throw new Error(`${query}: ${j.error}`)
  return j.data
}

async function thanosVerify(bucketDir: string): Promise<string> {
  const cfg = `type: FILESYSTEM\nconfig:\n  directory: ${bucketDir}\n`
  // Issues are logged, not turned into an exit code: the log is what tells.
  const {stdout, stderr} = await execFileP(peer('thanos').path, ['tools', 'bucket', 'verify', `--objstore.config=${cfg}`, '--log.level=debug'], {maxBuffer: 64 << 20})
  return stdout + stderr
}

describe('block writer: blocks of promtool 2.42 rewritten', function () {
  this.timeout(300_000)
  let root: string
  let src: string
  let ours: string
  let ids: string[]
  const mine = new Map<string, BlockMeta>()
  /** Prometheus 3 over the original blocks, the answers to match. */
  let theirs: PrometheusHandle | undefined

  before(async () => {
    root = await tempDir('writer')
    src = path.join(root, 'src')
    ours = path.join(root, 'ours')
    await mkdir(ours)
    ids = await createBlocks(DEBIAN, datasetOpenMetrics(2000), src)
    assert.ok(ids.length >= 5, `promtool made ${ids.length} blocks`)
    for (const id of ids) mine.set(id, await rewrite(src, id, ours))
  })

  after(async () => {
    await theirs?.stop()
    await rm(root, {recursive: true, force: true})
  })

  it('writes one block per original, nothing else, with the original range, level and stats', async () => {
    assert.deepEqual((await readdir(ours)).sort(), [...mine.values()].map((m) => m.ulid).sort())
    for (const id of ids) {
      const orig = parseMeta(await readFile(path.join(src, id, 'meta.json')), id)
      const m = mine.get(id)!
      const onDisk = parseMeta(await readFile(path.join(ours, m.ulid, 'meta.json')), m.ulid)
      assert.deepEqual(onDisk, m)
      assert.deepEqual([m.minTime, m.maxTime, m.compaction.level], [orig.minTime, orig.maxTime, orig.compaction.level])
      assert.deepEqual([m.stats.numSeries, m.stats.numChunks, m.stats.numSamples], [orig.stats.numSeries, orig.stats.numChunks, orig.stats.numSamples])
      assert.equal(m.stats.numFloatSamples, orig.stats.numSamples)
      // Thanos section: files with their real sizes, segment files, index stats.
      for (const f of m.thanos.files!) {
        if (f.rel_path === 'meta.json') assert.equal(f.size_bytes, undefined)
        else assert.equal(f.size_bytes, (await stat(path.join(ours, m.ulid, f.rel_path))).size, f.rel_path)
      }
      assert.deepEqual(m.thanos.segment_files, (await readdir(path.join(ours, m.ulid, 'chunks'))).sort())
      assert.ok(m.thanos.index_stats.series_max_size! > 0 && m.thanos.index_stats.chunk_max_size! > 0)
    }
  })

  it('our reader reads ours back equal to the originals, chunk for chunk', async () => {
    for (const id of ids) assertSameSeries(await readAll(ours, mine.get(id)!.ulid), await readAll(src, id), id)
  })

  it('index_stats are the largest series entry and chunk record, read back from the files', async () => {
    /** Bytes of the record at b[at]: uvarint length, `extra` bytes, the body, CRC32-C. */
    const recordSize = (b: Buffer, at: number, extra: number): number => {
      let len = 0
      let mul = 1
      let p = at
      for (;;) {
        const x = b[p++]!
        len += (x & 0x7f) * mul
        if (x < 0x80) break
        mul *= 128
      }
      return p - at + extra + len + 4
    }
    for (const m of mine.values()) {
      const r = await openBlock(ours, m.ulid)
      const index = await readFile(path.join(ours, m.ulid, 'index'))
      const segments = await Promise.all(m.thanos.segment_files!.map((f) => readFile(path.join(ours, m.ulid, 'chunks', f))))
      const [all] = await r.index.postings([{name: '', value: ''}])
      let seriesMax = 0
      let chunkMax = 0
      for (const e of await r.index.series(all!)) {
        seriesMax = Math.max(seriesMax, recordSize(index, e.id * 16, 0))
        for (let i = 2; i < e.chunks.length; i += 3) {
          const ref = e.chunks[i]!
          chunkMax = Math.max(chunkMax, recordSize(segments[Math.floor(ref / 2 ** 32)]!, ref % 2 ** 32, 1))
        }
      }
      assert.deepEqual([m.thanos.index_stats.series_max_size, m.thanos.index_stats.chunk_max_size], [seriesMax, chunkMax])
    }
  })

  for (const flavour of [
    {name: "Debian's promtool 2.42", tool: (): Tool => DEBIAN},
    {name: "Prometheus 3's promtool", tool: (): Tool => ({promtool: prometheus3().promtool, sandbox: true})},
  ]) {
    it(`${flavour.name}: tsdb dump of ours equals the original's`, async () => {
      const tool = flavour.tool()
      const a = await dbCopy(src)
      const b = await dbCopy(ours)
      try {
        const want = await promtoolDump(tool, a, T0 - HOUR, T0 + SPAN + HOUR)
        const got = await promtoolDump(tool, b, T0 - HOUR, T0 + SPAN + HOUR)
        assert.ok(want.length > 2000)
        assert.deepEqual(got, want)
      } finally {
        await removeDbCopy(a)
        await removeDbCopy(b)
      }
    })

    it(`${flavour.name}: tsdb analyze accepts ours and counts as in the original`, async () => {
      const tool = flavour.tool()
      const a = await dbCopy(src)
      const b = await dbCopy(ours)
      try {
        for (const id of ids) {
          const want = await promtoolAnalyze(tool, a, id, tool !== DEBIAN)
          const got = await promtoolAnalyze(tool, b, mine.get(id)!.ulid, tool !== DEBIAN)
          assert.deepEqual(got, want, id)
        }
      } finally {
        await removeDbCopy(a)
        await removeDbCopy(b)
      }
    })
  }

  describe('Prometheus 3 over our blocks only', () => {
    let mineProm: PrometheusHandle

    before(async () => {
      theirs ??= await startPrometheus({version: 3, blocksFrom: src})
      mineProm = await startPrometheus({version: 3, blocksFrom: ours})
    })

    after(async () => {
      await mineProm?.stop()
    })

    for (const q of QUERIES) {
      it(`query_range ${q} equals the answer over the original blocks`, async () => {
        const want = await queryRange(theirs!.url, q, T0, T0 + SPAN, 60_000)
        const got = await queryRange(mineProm.url, q, T0, T0 + SPAN, 60_000)
        assert.ok(JSON.stringify(want).length > 100, 'the query selects data')
        assert.deepEqual(got, want)
      })
    }
  })

  describe('a real thanos store over our blocks, uploaded by uploadBlockDir', () => {
    const LABELS = {cluster: 'c1'}
    let store: PeerProcess | undefined
    let query: ThanosQueryHandle | undefined
    let uploaded: BlockMeta[]

    before(async () => {
      theirs ??= await startPrometheus({version: 3, blocksFrom: src})
      const local = path.join(root, 'ours-thanos')
      const bucketDir = path.join(root, 'store-bucket')
      await mkdir(local)
      const bucket = new FilesystemBucket({directory: bucketDir})
      uploaded = []
      for (const id of ids) {
        const r = await openBlock(src, id)
        const m = await writeBlock(r.series(ALL, r.meta.minTime, r.meta.maxTime), {
          dir: local,
          minTime: r.meta.minTime,
          maxTime: r.meta.maxTime,
          compaction: r.meta.compaction,
          thanos: {labels: LABELS, source: 'compactor'},
        })
        uploaded.push(await uploadBlockDir(path.join(local, m!.ulid), {bucket, hashFunc: 'SHA256', concurrency: 2, logger: nopLogger}))
      }
      const cfg = path.join(root, 'objstore.yml')
      await writeFile(cfg, `type: FILESYSTEM\nconfig:\n  directory: ${bucketDir}\n`)
      const [grpc, http] = [await freePort(), await freePort()]
      store = await startPeer(
        'thanos-store',
        peer('thanos').path,
        ['store', `--data-dir=${path.join(root, 'store')}`, `--objstore.config-file=${cfg}`, `--grpc-address=127.0.0.1:${grpc}`, `--http-address=127.0.0.1:${http}`, '--log.level=warn'],
        `http://127.0.0.1:${http}/-/ready`,
      )
      query = await startThanosQuery({endpoints: [`127.0.0.1:${grpc}`]})
    })

    after(async () => {
      await query?.stop()
      await store?.stop()
    })

    it('uploads meta.json last, with the labels, source, files and their hashes', async () => {
      const bucketDir = path.join(root, 'store-bucket')
      for (const m of uploaded) {
        const onBucket = parseMeta(await readFile(path.join(bucketDir, m.ulid, 'meta.json')), m.ulid)
        assert.deepEqual(onBucket, m)
        assert.deepEqual([m.thanos.labels, m.thanos.source], [LABELS, 'compactor'])
        assert.ok(m.thanos.files!.filter((f) => f.rel_path !== 'meta.json').every((f) => f.hash?.hashFunc === 'SHA256'))
        assert.notEqual(m.thanos.upload_time, '0001-01-01T00:00:00Z')
      }
    })

    it('every raw sample through thanos query equals Prometheus 3 over the originals', async () => {
      const q = {query: `{__name__=~".+"}[${SPAN + 2 * HOUR}ms]`, time: String((T0 + SPAN + HOUR) / 1000)}
      type Raw = {result: {metric: Record<string, string>; values: [number, string][]}[]}
      const ask = async (url: string): Promise<Raw> => {
        const j = (await (await fetch(`${url}/api/v1/query`, {method: 'POST', body: new URLSearchParams(q)})).json()) as {status: string; data: Raw}
        assert.equal(j.status, 'success')
        return j.data
      }
      const key = (m: Record<string, string>): string => JSON.stringify(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : 1)))
      const want = new Map((await ask(theirs!.url)).result.map((s) => [key({...s.metric, ...LABELS}), s.values]))
      const got = new Map((await ask(query!.url)).result.map((s) => [key(s.metric), s.values]))
      assert.ok(want.size > 2000)
      assert.deepEqual(got, want)
    })

    // rate() is left out: over the same raw samples (above) Thanos's engine answers it differently
    // from Prometheus 3's, which is no matter of the blocks.
    for (const q of QUERIES.filter((x) => !x.startsWith('rate'))) {
      it(`query_range ${q} through thanos query equals Prometheus 3 over the originals`, async () => {
        const want = (await queryRange(theirs!.url, q, T0, T0 + SPAN, 60_000)) as {result: {metric: Record<string, string>}[]}
        const got = (await queryRange(query!.url, q, T0, T0 + SPAN, 60_000)) as {result: {metric: Record<string, string>}[]}
        assert.ok(want.result.length > 0, 'the query selects data')
        // Thanos adds the blocks' external labels to every series, unless aggregated away.
        if (!q.startsWith('sum by')) for (const s of want.result) Object.assign(s.metric, LABELS)
        const byKey = (r: {result: {metric: Record<string, string>}[]}): Map<string, unknown> =>
          new Map(r.result.map((s) => [JSON.stringify(Object.entries(s.metric).sort(([a], [b]) => (a < b ? -1 : 1))), s]))
        assert.deepEqual(byKey(got), byKey(want))
      })
    }
  })

  it('merges the five blocks into one level-2 block that promtool, Prometheus 3 and thanos verify read as the five', async () => {
    // What a compaction does, in the simplest form: each series' chunks of all blocks in time order.
    const bySeries = new Map<string, BlockSeries>()
    for (const id of ids) {
      for (const s of await readAll(src, id)) {
        const k = labelsToString(s.labels)
        const have = bySeries.get(k)
        if (have) have.chunks.push(...s.chunks)
        else bySeries.set(k, {labels: s.labels, chunks: [...s.chunks]})
      }
    }
    const sorted = [...bySeries.values()].sort((a, b) => compareLabels(a.labels, b.labels))
    const metas = await Promise.all(ids.map(async (id) => parseMeta(await readFile(path.join(src, id, 'meta.json')), id)))
    const merged = path.join(root, 'merged')
    const m = (await writeBlock(sorted, {
      dir: merged,
      minTime: metas[0]!.minTime,
      maxTime: metas[metas.length - 1]!.maxTime,
      compaction: {level: 2, sources: metas.map((x) => x.ulid), parents: metas.map((x) => ({ulid: x.ulid, minTime: x.minTime, maxTime: x.maxTime}))},
    }))!
    assert.equal(m.stats.numSamples, metas.reduce((n, x) => n + x.stats.numSamples!, 0))
    assert.equal(m.stats.numSeries, sorted.length)
    const a = await dbCopy(src)
    const b = await dbCopy(merged)
    try {
      assert.deepEqual(await promtoolDump(DEBIAN, b, T0 - HOUR, T0 + SPAN + HOUR), await promtoolDump(DEBIAN, a, T0 - HOUR, T0 + SPAN + HOUR))
    } finally {
      await removeDbCopy(a)
      await removeDbCopy(b)
    }
    const log = await thanosVerify(merged)
    assert.match(log, new RegExp(`msg="no issue" id=${m.ulid}`))
    assert.doesNotMatch(log, /detected issue|found overlapped blocks|level=error/)
    theirs ??= await startPrometheus({version: 3, blocksFrom: src})
    const p = await startPrometheus({version: 3, blocksFrom: merged})
    try {
      for (const q of QUERIES) assert.deepEqual(await queryRange(p.url, q, T0, T0 + SPAN, 60_000), await queryRange(theirs.url, q, T0, T0 + SPAN, 60_000), q)
    } finally {
      await p.stop()
    }
  })

  it('the real thanos tools bucket verify reports no issue for ours', async () => {
    const bucket = path.join(root, 'bucket')
    await cp(ours, bucket, {recursive: true})
    const log = await thanosVerify(bucket)
    assert.doesNotMatch(log, /detected issue|found overlapped blocks|level=error/, log)
    for (const m of mine.values()) assert.match(log, new RegExp(`msg="no issue" id=${m.ulid}`), log)
    // The check can fail: a copy of a block over the same range overlaps the others.
    const dup = newUlid(Date.now())
    await cp(path.join(bucket, [...mine.values()][0]!.ulid), path.join(bucket, dup), {recursive: true})
    const meta = JSON.parse(await readFile(path.join(bucket, dup, 'meta.json'), 'utf8')) as {ulid: string}
    meta.ulid = dup
    await writeFile(path.join(bucket, dup, 'meta.json'), JSON.stringify(meta))
    assert.match(await thanosVerify(bucket), new RegExp(`found overlapped blocks.*${dup}`))
  })
})

describe('block writer: a block uploaded to a real S3 (SeaweedFS)', function () {
  this.timeout(180_000)
  let root: string
  let s3: SeaweedS3 | undefined

  before(async () => {
    root = await tempDir('writer-s3')
    s3 = await startSeaweedS3()
  })

  after(async () => {
    await s3?.stop()
    await rm(root, {recursive: true, force: true})
  })

  it('uploads every segment, the index and meta.json; our reader over S3 and thanos verify read it whole', async () => {
    const src = path.join(root, 'src')
    const local = path.join(root, 'local')
    const [id] = await createBlocks(DEBIAN, datasetOpenMetrics(1000), src)
    const r = await openBlock(src, id!)
    const m = (await writeBlock(r.series(ALL, r.meta.minTime, r.meta.maxTime), {
      dir: local,
      minTime: r.meta.minTime,
      maxTime: r.meta.maxTime,
      thanos: {labels: {cluster: 's3'}, source: 'compactor'},
      segmentSize: 8 * 1024,
    }))!
    assert.ok(m.thanos.segment_files!.length > 2)
    const bucket = bucketFromConfig(s3!.objstoreYaml())
    try {
      await uploadBlockDir(path.join(local, m.ulid), {bucket, hashFunc: '', concurrency: 3, logger: nopLogger})
      const keys: string[] = []
      for await (const k of bucket.iter('', {recursive: true})) keys.push(k)
      assert.deepEqual(keys.sort(), [...m.thanos.segment_files!.map((x) => `${m.ulid}/chunks/${x}`), `${m.ulid}/index`, `${m.ulid}/meta.json`].sort())
      const overS3 = await BlockReader.open(bucket, m.ulid)
      assert.deepEqual(overS3.meta.thanos.labels, {cluster: 's3'})
      const got = await collect(overS3.series(ALL, m.minTime, m.maxTime))
      assertSameSeries(got, await readAll(src, id!), 'over S3')
    } finally {
      await bucket.close()
    }
    const {stdout, stderr} = await execFileP(peer('thanos').path, ['tools', 'bucket', 'verify', `--objstore.config=${s3!.objstoreYaml()}`, '--log.level=debug'], {maxBuffer: 64 << 20})
    const log = stdout + stderr
    assert.match(log, new RegExp(`msg="no issue" id=${m.ulid}`), log)
    assert.doesNotMatch(log, /detected issue|level=error/, log)
  })
})

describe('block writer: blocks of Prometheus 3 rewritten', function () {
  this.timeout(120_000)
  let root: string

  before(async () => {
    root = await tempDir('writer-p3')
  })

  after(async () => {
    await rm(root, {recursive: true, force: true})
  })

  it('writes index and chunk segments byte for byte as Prometheus 3 wrote them', async () => {
    const src = path.join(root, 'src')
    const dst = path.join(root, 'ours')
    await mkdir(dst)
    const ids = await createBlocks({promtool: prometheus3().promtool, sandbox: true}, datasetOpenMetrics(3000), src)
    assert.ok(ids.length >= 5)
    for (const id of ids) {
      const m = await rewrite(src, id, dst)
      const want = await readdir(path.join(src, id, 'chunks'))
      assert.deepEqual(m.thanos.segment_files, want)
      for (const f of ['index', ...want.map((x) => `chunks/${x}`)]) {
        const a = await readFile(path.join(src, id, f))
        const b = await readFile(path.join(dst, m.ulid, f))
        assert.equal(b.length, a.length, `${id}/${f}: size`)
        assert.ok(b.equals(a), `${id}/${f}: first difference at byte ${a.findIndex((x, i) => x !== b[i])}`)
      }
    }
  })
})

describe('block writer: a block Prometheus 3 compacted into 1 MiB segments, rewritten', function () {
  this.timeout(300_000)
  let root: string
  let prom: PrometheusHandle | undefined

  before(async () => {
    root = await tempDir('writer-compacted')
  })

  after(async () => {
    await prom?.stop()
    await rm(root, {recursive: true, force: true})
  })

  it('has the same segments, index and chunks byte for byte (the segment cut rule is upstream\'s)', async () => {
    // Five backfilled 2h blocks; Prometheus's compactor merges the first three (see
    // prometheus-compacted.test.ts) and, with this hidden flag, cuts segments at 1 MiB.
    prom = await startPrometheus({version: 3, openMetrics: datasetOpenMetrics(30_000), extraArgs: ['--storage.tsdb.max-block-chunk-segment-size=1MB']})
    const dataDir = path.join(prom.dir, 'data')
    const deadline = Date.now() + 200_000
    let compacted: BlockMeta | undefined
    while (!compacted) {
      for (const n of (await readdir(dataDir)).filter((x) => /^[0-9A-Z]{26}$/.test(x))) {
        const m = await readFile(path.join(dataDir, n, 'meta.json')).then((b) => parseMeta(b, n), () => undefined)
        if (m && m.compaction.level >= 2) compacted = m
      }
      if (!compacted) {
        if (Date.now() > deadline) throw new Error('Prometheus did not compact within 200 s')
        await new Promise((r) => setTimeout(r, 1000))
      }
    }
    const src = path.join(root, 'src')
    await cp(path.join(dataDir, compacted.ulid), path.join(src, compacted.ulid), {recursive: true})
    await prom.stop()
    prom = undefined
    const segs = (await readdir(path.join(src, compacted.ulid, 'chunks'))).sort()
    assert.ok(segs.length >= 2, `${segs.length} segments`)
    const dst = path.join(root, 'ours')
    const id = compacted.ulid
    const m = await rewrite(src, id, dst, 1024 * 1024)
    assert.deepEqual(m.thanos.segment_files, segs)
    for (const f of ['index', ...segs.map((x) => `chunks/${x}`)]) {
      const a: Buffer = await readFile(path.join(src, id, f))
      const b: Buffer = await readFile(path.join(dst, m.ulid, f))
      assert.equal(b.length, a.length, `${f}: size`)
      assert.ok(b.equals(a), `${f}: first difference at byte ${a.findIndex((x, i) => x !== b[i])}`)
    }
  })
})

describe('block writer: segments, histograms and refused input', function () {
  this.timeout(300_000)
  let root: string

  before(async () => {
    root = await tempDir('writer-edge')
  })

  after(async () => {
    await rm(root, {recursive: true, force: true})
  })

  const series = (name: string, n: number, from = T0): WriterSeries => {
    const ts = Array.from({length: n}, (_, i) => from + i * 15_000)
    const chunks = encodeXorChunks(
      ts,
      ts.map((t, i) => Math.sin(i / 10) * 100 + t / 1e12),
    )
    return {labels: [{name: '__name__', value: name}], chunks: chunks.map((c) => ({minTime: c.minTime, maxTime: c.maxTime, encoding: ChunkEncoding.XOR, data: c.data}))}
  }

  it('rolls over to a new segment at the size limit; promtool and our reader read all segments', async () => {
    const src = path.join(root, 'roll-src')
    const ids = await createBlocks(DEBIAN, datasetOpenMetrics(500), src)
    const dst = path.join(root, 'roll')
    await mkdir(dst)
    const segmentSize = 4 * 1024
    const metas: BlockMeta[] = []
    for (const id of ids) metas.push(await rewrite(src, id, dst, segmentSize))
    const m = metas[0]!
    const segs = await readdir(path.join(dst, m.ulid, 'chunks'))
    assert.ok(segs.length > 3, `${segs.length} segments`)
    assert.deepEqual(segs, segs.map((_, i) => String(i + 1).padStart(6, '0')))
    for (const s of segs) assert.ok((await stat(path.join(dst, m.ulid, 'chunks', s))).size <= segmentSize, s)
    for (let i = 0; i < ids.length; i++) assertSameSeries(await readAll(dst, metas[i]!.ulid), await readAll(src, ids[i]!), ids[i]!)
    const a = await dbCopy(src)
    const b = await dbCopy(dst)
    try {
      assert.deepEqual(await promtoolDump(DEBIAN, b, T0, T0 + SPAN), await promtoolDump(DEBIAN, a, T0, T0 + SPAN))
    } finally {
      await removeDbCopy(a)
      await removeDbCopy(b)
    }
  })

  it('gives a chunk larger than the segment size a segment of its own', async () => {
    const dst = path.join(root, 'big')
    const s = series('big', 120)
    const meta = await writeBlock([s, {...series('big2', 120), labels: [{name: '__name__', value: 'big2'}]}], {dir: dst, segmentSize: 64})
    assert.deepEqual(meta!.thanos.segment_files, ['000001', '000002'])
    assert.equal((await collect((await openBlock(dst, meta!.ulid)).series(ALL, meta!.minTime, meta!.maxTime))).length, 2)
  })

  it('writes symbol and postings offset tables past the file buffer (lengths patched on disk)', async () => {
    const dst = path.join(root, 'wide')
    const one = series('wide', 3)
    const N = 40_000
    const all: WriterSeries[] = []
    for (let i = 0; i < N; i++) {
      const id = `${String(i).padStart(6, '0')}-${'x'.repeat(40)}`
      all.push({labels: [{name: '__name__', value: 'wide'}, {name: 'id', value: id}], chunks: one.chunks})
    }
    const meta = (await writeBlock(all, {dir: dst}))!
    const r = await openBlock(dst, meta.ulid)
    // Each table is over 1 MiB, the writer's buffer: its length was patched in the file.
    assert.ok(r.index.toc.series - r.index.toc.symbols > 1 << 20)
    assert.ok(r.index.size - 52 - r.index.toc.postingsTable > 1 << 20)
    assert.equal(r.index.labelValues('id').length, N)
    const got = await collect(r.series([new Matcher(MatchType.EQ, 'id', all[N - 1]!.labels[1]!.value)], meta.minTime, meta.maxTime))
    assert.deepEqual(
      got.map((s) => s.labels[1]!.value),
      [all[N - 1]!.labels[1]!.value],
    )
    const db = await dbCopy(dst)
    try {
      const tool: Tool = {promtool: prometheus3().promtool, sandbox: true}
      const a = await promtoolAnalyze(tool, db, meta.ulid, false)
      assert.deepEqual([a.series, a.labelNames, a.uniquePairs], [N, 2, N + 1])
    } finally {
      await removeDbCopy(db)
    }
  })

  it('skips series without chunks; a block of none is not written', async () => {
    const dst = path.join(root, 'skip')
    const meta = await writeBlock([{labels: [{name: '__name__', value: 'a'}], chunks: []}, series('b', 10), {labels: [{name: '__name__', value: 'c'}], chunks: []}], {dir: dst})
    assert.equal(meta!.stats.numSeries, 1)
    const got = await readAll(dst, meta!.ulid)
    assert.deepEqual(
      got.map((s) => s.labels.map((l) => l.value)),
      [['b']],
    )
    const r = await openBlock(dst, meta!.ulid)
    assert.deepEqual(r.index.labelValues('__name__'), ['b'])
    assert.equal(await writeBlock([{labels: [{name: '__name__', value: 'a'}], chunks: []}], {dir: dst}), undefined)
    assert.deepEqual(await readdir(dst), [meta!.ulid])
  })

  for (const [what, input, msg] of [
    ['an empty label value', [{labels: [{name: '__name__', value: 'x'}, {name: 'job', value: ''}], chunks: series('x', 5).chunks}], /empty value for label "job"/],
    ['a label value that is not UTF-8', [{labels: [{name: '__name__', value: 'x\uD800y'}], chunks: series('x', 5).chunks}], /not valid UTF-8/],
    ['an empty label name', [{labels: [{name: '', value: 'v'}], chunks: series('x', 5).chunks}], /empty label name/],
    ['an empty label set', [{labels: [], chunks: series('x', 5).chunks}], /empty label set/],
    ['unsorted label names', [{labels: [{name: 'b', value: '1'}, {name: 'a', value: '1'}], chunks: series('x', 5).chunks}], /not sorted/],
    ['duplicate label names', [{labels: [{name: 'a', value: '1'}, {name: 'a', value: '2'}], chunks: series('x', 5).chunks}], /duplicate/],
    ['out-of-order series', [series('b', 5), series('a', 5)], /out-of-order series/],
    ['a repeated series', [series('a', 5), series('a', 5, T0 + HOUR)], /out-of-order series/],
    ['a chunk time beyond 2^52 ms', [{labels: [{name: '__name__', value: 'x'}], chunks: [{...series('x', 5).chunks[0]!, minTime: 2 ** 52, maxTime: 2 ** 52 + 1}]}], /not integers within/],
    ['overlapping chunks', [{labels: series('a', 5).labels, chunks: [...series('a', 5).chunks, ...series('a', 5).chunks]}], /not higher than previous chunk/],
  ] as [string, WriterSeries[], RegExp][]) {
    it(`refuses ${what} and leaves no block behind`, async () => {
      const dst = path.join(root, `bad-${what.replace(/\W+/g, '-')}`)
      const ulid = newUlid(Date.now())
      // A valid series first, so the refusal comes with files already begun.
      const all = what === 'out-of-order series' || what === 'a repeated series' ? input : [series('0first', 50), ...input]
      await assert.rejects(writeBlock(all, {dir: dst, ulid}), (e: unknown) => e instanceof BadDataError && msg.test(e.message))
      assert.deepEqual(await readdir(dst), [])
    })
  }

  it('writes chunks before 1970 (negative timestamps) that promtool reads back', async () => {
    const dst = path.join(root, 'negative')
    const from = -HOUR
    const s = series('before_epoch', 480, from)
    const meta = (await writeBlock([s], {dir: dst}))!
    assert.deepEqual([meta.minTime, meta.maxTime], [from, from + 479 * 15_000 + 1])
    assertSameSeries(await readAll(dst, meta.ulid), [{labels: s.labels, chunks: s.chunks.map((c) => ({...c}))}], 'negative')
    const db = await dbCopy(dst)
    try {
      const dump = await promtoolDump({promtool: prometheus3().promtool, sandbox: true}, db, from - 1, from + 2 * HOUR)
      assert.equal(dump.length, 1)
      assert.deepEqual(dump[0]!.ts, Array.from({length: 480}, (_, i) => from + i * 15_000))
    } finally {
      await removeDbCopy(db)
    }
  })

  it('stops when its signal is aborted and leaves no block behind', async () => {
    const dst = path.join(root, 'abort')
    const ac = new AbortController()
    async function* endless(): AsyncGenerator<WriterSeries> {
      for (let i = 0; ; i++) {
        if (i === 100) ac.abort(new Error('enough'))
        yield {...series('a', 5), labels: [{name: '__name__', value: `s${String(i).padStart(8, '0')}`}]}
      }
    }
    await assert.rejects(writeBlock(endless(), {dir: dst, signal: ac.signal}), /enough/)
    assert.deepEqual(await readdir(dst), [])
  })

  it('refuses chunks outside the given block range', async () => {
    const dst = path.join(root, 'range')
    const s = series('a', 40)
    await assert.rejects(writeBlock([s], {dir: dst, minTime: T0 + 60_000, maxTime: T0 + HOUR}), /outside the block range/)
    await assert.rejects(writeBlock([s], {dir: dst, minTime: T0, maxTime: T0 + 60_000}), /outside the block range/)
    assert.deepEqual(await readdir(dst), [])
    assert.ok(!(await readdir(root)).some((n) => n.endsWith(TMP_FOR_CREATION_SUFFIX)))
  })

  describe('histogram chunks', () => {
    let prom: PrometheusHandle
    let dir: string
    let meta: BlockMeta
    const ts = Array.from({length: 300}, (_, i) => T0 + i * 30_000)
    const hs = ts.map(
      (_, i) =>
        Histogram.of({
          schema: 1,
          zeroThreshold: 0.001,
          zeroCount: i,
          count: 4 * i + 4,
          sum: i * 1.5,
          positiveSpans: [0, 2],
          positiveBuckets: [i + 1, 0],
          negativeSpans: [1, 1],
          negativeBuckets: [i + 2],
        }),
    )

    // Float histograms: absolute bucket counts, a quarter of a count each.
    const fhs = ts.map((_, i) => FloatHistogram.of({schema: 0, count: i + 0.5, sum: -i / 4, zeroCount: 0.25, positiveSpans: [0, 1], positiveBuckets: [i + 0.25]}))

    before(async () => {
      dir = path.join(root, 'hist')
      const chunks = encodeHistogramChunks(ts, hs)
      const fchunks = encodeFloatHistogramChunks(ts, fhs)
      assert.ok(chunks.length > 1)
      meta = (await writeBlock(
        [
          {labels: [{name: '__name__', value: 'a_float'}], chunks: series('a_float', 300).chunks},
          {labels: [{name: '__name__', value: 'fh'}], chunks: fchunks.map((c) => ({minTime: c.minTime, maxTime: c.maxTime, encoding: ChunkEncoding.FloatHistogram, data: c.data}))},
          {labels: [{name: '__name__', value: 'h'}], chunks: chunks.map((c) => ({minTime: c.minTime, maxTime: c.maxTime, encoding: ChunkEncoding.Histogram, data: c.data}))},
        ],
        {dir, minTime: T0, maxTime: T0 + 3 * HOUR},
      ))!
      prom = await startPrometheus({version: 3, blocksFrom: dir})
    })

    after(async () => {
      await prom?.stop()
    })

    it('keeps them as histogram chunks, counted as histogram samples', async () => {
      assert.deepEqual([meta.stats.numHistogramSamples, meta.stats.numFloatSamples, meta.stats.numSamples], [600, 300, 900])
      const got = await readAll(dir, meta.ulid)
      const h = got.find((s) => s.labels[0]!.value === 'h')!
      assert.ok(h.chunks.every((c) => c.encoding === ChunkEncoding.Histogram))
      const again = encodeHistogramChunks(ts, hs)
      assert.deepEqual(
        h.chunks.map((c) => Buffer.from(c.data).toString('hex')),
        again.map((c) => Buffer.from(c.data).toString('hex')),
      )
    })

    it('Prometheus 3 reads the histograms from our block', async () => {
      const q = new URLSearchParams({query: 'h[3h]', time: String((T0 + 3 * HOUR - 1) / 1000)})
      const r = (await (await fetch(`${prom.url}/api/v1/query`, {method: 'POST', body: q})).json()) as {
        data: {result: {histograms: [number, {count: string; sum: string}][]}[]}
      }
      const got = r.data.result[0]!.histograms
      assert.equal(got.length, 300)
      got.forEach(([t, h], i) => {
        assert.equal(Math.round(t * 1000), ts[i])
        assert.deepEqual([Number(h.count), Number(h.sum)], [hs[i]!.count, hs[i]!.sum])
      })
      const q2 = new URLSearchParams({query: 'fh[3h]', time: String((T0 + 3 * HOUR - 1) / 1000)})
      const r2 = (await (await fetch(`${prom.url}/api/v1/query`, {method: 'POST', body: q2})).json()) as typeof r
      const fgot = r2.data.result[0]!.histograms
      assert.equal(fgot.length, 300)
      fgot.forEach(([t, h], i) => {
        assert.equal(Math.round(t * 1000), ts[i])
        assert.deepEqual([Number(h.count), Number(h.sum)], [fhs[i]!.count, fhs[i]!.sum])
      })
    })
  })
})
