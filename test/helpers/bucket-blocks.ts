/**
 * Buckets of real blocks for the store gateway tests: `promtool tsdb create-blocks-from
 * openmetrics` (Debian's 2.42 unless told otherwise) writes the blocks, our shipper's
 * uploadBlock puts them in a bucket with meta.json's Thanos section (external labels, files,
 * segment_files), as a sidecar would have. What a query must answer is derived from the input
 * series (`expectedSeries`), never from the code under test.
 */
import {cp, mkdtemp, readFile, readdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {formatMeta, parseMeta} from '../../src/core/block/meta.js'
import {newUlid, ulidTime} from '../../src/core/block/ulid.js'
import {XorDecodeIterator} from '../../src/core/chunkenc/xor-decoder.js'
import {compareLabels, labelsFromRecord, labelsKey, mergeLabels, withoutLabels, type Labels} from '../../src/core/labels/labels.js'
import {matchesAll, type Matcher} from '../../src/core/labels/matcher.js'
import {nopLogger} from '../../src/core/log.js'
import type {Bucket} from '../../src/core/objstore/bucket.js'
import {uploadBlock} from '../../src/core/shipper/upload.js'
import type {StoreSeries} from '../../src/core/storepb/store-types.js'
import {toOpenMetrics, type SeriesSpec} from './openmetrics.js'
import {backfill, PROMTOOL_BIN} from './prometheus.js'

/** One upload: the blocks promtool makes of `series`, shipped with external labels `ext`. */
export interface UploadSpec {
  series: SeriesSpec[]
  ext: Record<string, string>
}

/** Backfills `spec.series` with promtool and uploads the blocks with `spec.ext`; returns their ULIDs, sorted. */
export async function uploadBackfilled(bucket: Bucket, spec: UploadSpec, promtool = PROMTOOL_BIN): Promise<string[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'thanosts-sg-blocks-'))
  try {
    const data = path.join(dir, 'data')
    await backfill(toOpenMetrics(spec.series), data, dir, promtool)
    const ids = (await readdir(data)).filter((n) => /^[0-9A-Z]{26}$/.test(n)).sort()
    const labels = labelsFromRecord(spec.ext)
    for (const id of ids) {
      const meta = parseMeta(await readFile(path.join(data, id, 'meta.json')), id)
      if (labels.length === 0) {
        // Thanos's upload refuses blocks without external labels; a bucket may still hold one
        // (a plain Prometheus block copied in): its files as they are, meta.json last.
        for (const f of await readdir(path.join(data, id, 'chunks'))) await bucket.upload(`${id}/chunks/${f}`, await readFile(path.join(data, id, 'chunks', f)))
        await bucket.upload(`${id}/index`, await readFile(path.join(data, id, 'index')))
        await bucket.upload(`${id}/meta.json`, await readFile(path.join(data, id, 'meta.json')))
        continue
      }
      await uploadBlock(meta, {bucket, tsdbDir: data, labels: [...labels], source: 'sidecar', hashFunc: '', concurrency: 1, logger: nopLogger})
    }
    return ids
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

/**
 * Uploads every block of a TSDB blocks directory with external labels `ext`. With `renew`, each
 * block goes up under a new ULID (same time, its meta.json's ulid and sources rewritten): the
 * same data as another replica's blocks, as two Prometheus of an HA pair would ship it.
 * Returns the ULIDs in the bucket.
 */
export async function uploadBlocksDir(bucket: Bucket, blocksDir: string, ext: Record<string, string>, opts: {renew?: boolean} = {}): Promise<string[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'thanosts-sg-copy-'))
  try {
    const out: string[] = []
    for (const id of (await readdir(blocksDir)).filter((n) => /^[0-9A-Z]{26}$/.test(n)).sort()) {
      const meta = parseMeta(await readFile(path.join(blocksDir, id, 'meta.json')), id)
      const nid = opts.renew ? newUlid(ulidTime(id)) : id
      await cp(path.join(blocksDir, id), path.join(dir, nid), {recursive: true})
      if (nid !== id) {
        meta.ulid = nid
        meta.compaction.sources = [nid]
        await writeFile(path.join(dir, nid, 'meta.json'), formatMeta(meta))
      }
      await uploadBlock(meta, {bucket, tsdbDir: dir, labels: [...labelsFromRecord(ext)], source: 'sidecar', hashFunc: '', concurrency: 1, logger: nopLogger})
      out.push(nid)
    }
    return out
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

/** The labels a spec's series is stored with (counters get `_total`, as toOpenMetrics writes them). */
export function specLabels(s: SeriesSpec): Labels {
  return labelsFromRecord({...s.labels, __name__: s.type === 'counter' ? `${s.metric}_total` : s.metric})
}

export interface Sample {
  t: number
  v: number
}

export interface ExpectedSeries {
  labels: Labels
  samples: Sample[]
}

/**
 * What a store over `uploads` must answer for a selection: every uploaded series with its
 * external labels (which win over its own), matched on those labels, samples in [mint, maxt],
 * `remove` labels dropped, equal label sets merged (samples of equal time once), sorted.
 */
export function expectedSeries(uploads: readonly UploadSpec[], matchers: readonly Matcher[], mint: number, maxt: number, remove: readonly string[] = []): ExpectedSeries[] {
  const out = new Map<string, {labels: Labels; samples: Map<number, number>}>()
  const drop = new Set(remove)
  for (const u of uploads) {
    const ext = labelsFromRecord(u.ext)
    for (const s of u.series) {
      const merged = mergeLabels(specLabels(s), ext)
      if (!matchesAll(matchers, merged)) continue
      const inRange = s.samples.filter(([t]) => t >= mint && t <= maxt)
      if (inRange.length === 0) continue
      const labels = withoutLabels(merged, drop)
      const k = labelsKey(labels)
      const e = out.get(k) ?? {labels, samples: new Map<number, number>()}
      for (const [t, v] of inRange) e.samples.set(t, v)
      out.set(k, e)
    }
  }
  return [...out.values()]
    .map((e) => ({labels: e.labels, samples: [...e.samples].sort((a, b) => a[0] - b[0]).map(([t, v]) => ({t, v}))}))
    .sort((a, b) => compareLabels(a.labels, b.labels))
}

/** The samples of a StoreAPI series (XOR chunks), trimmed to [mint, maxt]. */
export function storeSamples(s: StoreSeries, mint = -Infinity, maxt = Infinity): Sample[] {
  const out: Sample[] = []
  for (const c of s.chunks) {
    if (c.encoding !== 0) throw new Error(`unexpected chunk encoding ${c.encoding}`)
    const it = new XorDecodeIterator(c.data)
    while (it.next()) {
      const t = it.atT()
      if (t >= mint && t <= maxt) out.push({t, v: it.at()})
    }
  }
  return out
}
