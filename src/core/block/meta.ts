/**
 * meta.json of a block: Prometheus's BlockMeta (prometheus/tsdb/block.go) plus the `thanos`
 * section (thanos-io/thanos pkg/block/metadata/meta.go). The types use the JSON keys exactly,
 * camelCase in the Prometheus part and snake_case in the Thanos part, as the file has them, so
 * what a reader sees here is what `cat meta.json` shows.
 *
 * Reading is as strict as Thanos's metadata.Read: meta `version` must be 1 and the Thanos
 * section version 0 (absent) or 1; unknown keys are ignored. Writing reproduces Thanos's bytes
 * (json.Encoder with a tab indent, Go's omitempty rules: empty structs are not omitted, so
 * `stats`, `index_stats` and `upload_time` are always there).
 */
import type {Bucket, BucketCallOptions} from '../objstore/bucket.js'
import {isNotFound} from '../objstore/bucket.js'
import {BlockCorruptionError, BlockNotFoundError, UnsupportedBlockFormatError} from './errors.js'
import {asGoMap, asGoStructAsParsed, goJson, GoStruct, type GoJsonValue} from './go-json.js'
import {isUlid} from './ulid.js'

export const META_FILENAME = 'meta.json'
export const META_VERSION_1 = 1
export const THANOS_META_VERSION_1 = 1

/** Go's zero time.Time as it marshals: Thanos writes it for blocks never uploaded by block.Upload. */
export const ZERO_UPLOAD_TIME = '0001-01-01T00:00:00Z'

export interface BlockStats {
  numSamples?: number
  numFloatSamples?: number
  numHistogramSamples?: number
  numSeries?: number
  numChunks?: number
  numTombstones?: number
}

export interface BlockDesc {
  ulid: string
  minTime: number
  maxTime: number
}

export interface BlockMetaCompaction {
  /** 1 = cut from the head; max(parents) + 1 per compaction. */
  level: number
  sources?: string[]
  deletable?: boolean
  parents?: BlockDesc[]
  failed?: boolean
  hints?: string[]
}

export interface ObjectHash {
  hashFunc: string
  value: string
}

export interface BlockFile {
  rel_path: string
  size_bytes?: number
  hash?: ObjectHash
}

export interface IndexStats {
  series_max_size?: number
  chunk_max_size?: number
}

/** Thanos's values of `source`. */
export type BlockSource = '' | 'sidecar' | 'receive' | 'compactor' | 'compactor.repair' | 'ruler' | 'bucket.repair' | 'bucket.rewrite' | 'bucket.upload' | 'test' | (string & {})

export interface ThanosMeta {
  version?: number
  /** External labels of the producer; the grouping key of the store gateway and compactor. */
  labels: Record<string, string>
  downsample: {resolution: number}
  source: BlockSource
  /** Deprecated in Thanos in favour of `files`, still read by the store gateway to skip a listing. */
  segment_files?: string[]
  files?: BlockFile[]
  /** Kept as parsed (deletions and relabels of `thanos tools bucket rewrite`). */
  rewrites?: unknown[]
  index_stats: IndexStats
  extensions?: unknown
  /** RFC 3339 text as Go marshals time.Time; ZERO_UPLOAD_TIME when unset. */
  upload_time: string
}

export interface BlockMeta {
  ulid: string
  minTime: number
  maxTime: number
  stats: BlockStats
  compaction: BlockMetaCompaction
  version: number
  thanos: ThanosMeta
}

export const RESOLUTION_RAW = 0
export const RESOLUTION_5M = 300_000
export const RESOLUTION_1H = 3_600_000

/** A Thanos section with Go's zero values, as metadata.Read leaves it for a plain Prometheus block. */
export function emptyThanosMeta(): ThanosMeta {
  return {labels: {}, downsample: {resolution: 0}, source: '', index_stats: {}, upload_time: ZERO_UPLOAD_TIME}
}

/**
 * Parses meta.json text. `block` names the block in errors (the directory it was read from).
 * @throws BlockCorruptionError for text that is not a meta.json, UnsupportedBlockFormatError
 *   for a version this reader does not know.
 */
export function parseMeta(text: string | Uint8Array, block: string): BlockMeta {
  let raw: unknown
  try {
    raw = JSON.parse(typeof text === 'string' ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('utf8'))
  } catch (e) {
    throw new BlockCorruptionError(block, META_FILENAME, 0, `invalid JSON: ${(e as Error).message}`)
  }
  const bad = (what: string): never => {
    throw new BlockCorruptionError(block, META_FILENAME, 0, what)
  }
  if (!isObject(raw)) return bad('not a JSON object')
  if (raw.version !== META_VERSION_1) {
    throw new UnsupportedBlockFormatError(block, META_FILENAME, `unexpected meta file version ${JSON.stringify(raw.version)}, want 1`)
  }
  const ulid = raw.ulid
  if (typeof ulid !== 'string' || !isUlid(ulid)) return bad(`invalid ulid ${JSON.stringify(ulid)}`)
  const minTime = int(raw.minTime, 'minTime', bad)
  const maxTime = int(raw.maxTime, 'maxTime', bad)
  const stats: BlockStats = {}
  if (raw.stats !== undefined && raw.stats !== null) {
    if (!isObject(raw.stats)) return bad('stats is not an object')
    for (const k of STATS_KEYS) if (raw.stats[k] !== undefined) stats[k] = int(raw.stats[k], `stats.${k}`, bad)
  }
  const c = raw.compaction
  if (!isObject(c)) return bad('compaction is not an object')
  const compaction: BlockMetaCompaction = {level: int(c.level ?? 0, 'compaction.level', bad)}
  if (c.sources != null) compaction.sources = ulidList(c.sources, 'compaction.sources', bad)
  if (c.deletable != null) compaction.deletable = c.deletable === true
  if (c.parents != null) {
    if (!Array.isArray(c.parents)) return bad('compaction.parents is not an array')
    compaction.parents = c.parents.map((p: unknown, i: number) => {
      if (!isObject(p) || typeof p.ulid !== 'string' || !isUlid(p.ulid)) return bad(`compaction.parents[${i}] has no valid ulid`)
      return {ulid: p.ulid, minTime: int(p.minTime, `compaction.parents[${i}].minTime`, bad), maxTime: int(p.maxTime, `compaction.parents[${i}].maxTime`, bad)}
    })
  }
  if (c.failed != null) compaction.failed = c.failed === true
  if (c.hints != null) compaction.hints = stringList(c.hints, 'compaction.hints', bad)
  return {ulid: ulid.toUpperCase(), minTime, maxTime, stats, compaction, version: META_VERSION_1, thanos: parseThanos(raw.thanos, block, bad)}
}

const STATS_KEYS = ['numSamples', 'numFloatSamples', 'numHistogramSamples', 'numSeries', 'numChunks', 'numTombstones'] as const

function parseThanos(t: unknown, block: string, bad: (what: string) => never): ThanosMeta {
  const out = emptyThanosMeta()
  if (t === undefined || t === null) return out
  if (!isObject(t)) return bad('thanos is not an object')
  const version = t.version ?? 0
  if (version !== 0 && version !== THANOS_META_VERSION_1) {
    throw new UnsupportedBlockFormatError(block, META_FILENAME, `unexpected meta file Thanos section version ${JSON.stringify(version)}, want 1`)
  }
  if (version !== 0) out.version = version
  if (t.labels != null) {
    if (!isObject(t.labels)) return bad('thanos.labels is not an object')
    const labels: Record<string, string> = Object.create(null) as Record<string, string>
    for (const [k, v] of Object.entries(t.labels)) {
      if (typeof v !== 'string') return bad(`thanos.labels.${k} is not a string`)
      labels[k] = v
    }
    out.labels = labels
  }
  if (t.downsample != null) {
    if (!isObject(t.downsample)) return bad('thanos.downsample is not an object')
    out.downsample = {resolution: int(t.downsample.resolution ?? 0, 'thanos.downsample.resolution', bad)}
  }
  if (t.source != null) {
    if (typeof t.source !== 'string') return bad('thanos.source is not a string')
    out.source = t.source
  }
  if (t.segment_files != null) out.segment_files = stringList(t.segment_files, 'thanos.segment_files', bad)
  if (t.files != null) {
    if (!Array.isArray(t.files)) return bad('thanos.files is not an array')
    out.files = t.files.map((f: unknown, i: number) => {
      if (!isObject(f) || typeof f.rel_path !== 'string') return bad(`thanos.files[${i}] has no rel_path`)
      const file: BlockFile = {rel_path: f.rel_path}
      if (f.size_bytes != null) file.size_bytes = int(f.size_bytes, `thanos.files[${i}].size_bytes`, bad)
      if (f.hash != null) {
        if (!isObject(f.hash) || typeof f.hash.hashFunc !== 'string' || typeof f.hash.value !== 'string') return bad(`thanos.files[${i}].hash is malformed`)
        file.hash = {hashFunc: f.hash.hashFunc, value: f.hash.value}
      }
      return file
    })
  }
  if (t.rewrites != null) {
    if (!Array.isArray(t.rewrites)) return bad('thanos.rewrites is not an array')
    out.rewrites = t.rewrites
  }
  if (t.index_stats != null) {
    if (!isObject(t.index_stats)) return bad('thanos.index_stats is not an object')
    if (t.index_stats.series_max_size != null) out.index_stats.series_max_size = int(t.index_stats.series_max_size, 'thanos.index_stats.series_max_size', bad)
    if (t.index_stats.chunk_max_size != null) out.index_stats.chunk_max_size = int(t.index_stats.chunk_max_size, 'thanos.index_stats.chunk_max_size', bad)
  }
  if (t.extensions !== undefined && t.extensions !== null) out.extensions = t.extensions
  if (t.upload_time != null) {
    if (typeof t.upload_time !== 'string' || Number.isNaN(Date.parse(t.upload_time))) return bad(`thanos.upload_time ${JSON.stringify(t.upload_time)} is not an RFC 3339 time`)
    out.upload_time = t.upload_time
  }
  return out
}

/** meta.json text exactly as Thanos's Meta.Write produces it (tab indent, trailing newline). */
export function formatMeta(m: BlockMeta): string {
  const c = m.compaction
  const compaction: [string, GoJsonValue][] = [['level', c.level]]
  if (c.sources?.length) compaction.push(['sources', c.sources])
  if (c.deletable) compaction.push(['deletable', true])
  if (c.parents?.length) compaction.push(['parents', c.parents.map((p) => new GoStruct([['ulid', p.ulid], ['minTime', p.minTime], ['maxTime', p.maxTime]]))])
  if (c.failed) compaction.push(['failed', true])
  if (c.hints?.length) compaction.push(['hints', c.hints])
  const stats: [string, GoJsonValue][] = []
  for (const k of STATS_KEYS) if (m.stats[k]) stats.push([k, m.stats[k]!])
  const doc = new GoStruct([
    ['ulid', m.ulid],
    ['minTime', m.minTime],
    ['maxTime', m.maxTime],
    ['stats', new GoStruct(stats)],
    ['compaction', new GoStruct(compaction)],
    ['version', m.version],
    ['thanos', thanosStruct(m.thanos)],
  ])
  return goJson(doc, '\t') + '\n'
}

function thanosStruct(t: ThanosMeta): GoStruct {
  const f: [string, GoJsonValue][] = []
  if (t.version) f.push(['version', t.version])
  f.push(['labels', {...t.labels}], ['downsample', new GoStruct([['resolution', t.downsample.resolution]])], ['source', t.source])
  if (t.segment_files?.length) f.push(['segment_files', t.segment_files])
  if (t.files?.length) {
    f.push([
      'files',
      t.files.map((x) => {
        const ff: [string, GoJsonValue][] = [['rel_path', x.rel_path]]
        if (x.size_bytes) ff.push(['size_bytes', x.size_bytes])
        if (x.hash) ff.push(['hash', new GoStruct([['hashFunc', x.hash.hashFunc], ['value', x.hash.value]])])
        return new GoStruct(ff)
      }),
    ])
  }
  if (t.rewrites?.length) f.push(['rewrites', asGoStructAsParsed(t.rewrites)])
  const is: [string, GoJsonValue][] = []
  if (t.index_stats.series_max_size) is.push(['series_max_size', t.index_stats.series_max_size])
  if (t.index_stats.chunk_max_size) is.push(['chunk_max_size', t.index_stats.chunk_max_size])
  f.push(['index_stats', new GoStruct(is)])
  // Go decodes an `any` into maps, so it re-marshals extensions with sorted keys.
  if (t.extensions !== undefined && t.extensions !== null) f.push(['extensions', asGoMap(t.extensions)])
  f.push(['upload_time', t.upload_time])
  return new GoStruct(f)
}

/** Go's time.Time JSON (RFC 3339 with nanoseconds, trailing zeros trimmed), in UTC. */
export function formatGoTime(d: Date): string {
  return d.toISOString().replace(/\.?0+Z$/, 'Z')
}

/** The upload time in ms, or undefined for Go's zero time (never uploaded through block.Upload). */
export function uploadTimeMs(t: ThanosMeta): number | undefined {
  if (t.upload_time === ZERO_UPLOAD_TIME) return undefined
  const ms = Date.parse(t.upload_time)
  return Number.isNaN(ms) || ms <= -62135596800000 ? undefined : ms
}

/** Reads `<block>/meta.json`. @throws BlockNotFoundError when the block has no meta.json. */
export async function readMeta(bucket: Bucket, block: string, opts: BucketCallOptions = {}): Promise<BlockMeta> {
  let buf: Buffer
  try {
    buf = await bucket.get(`${block}/${META_FILENAME}`, opts)
  } catch (e) {
    if (isNotFound(e)) throw new BlockNotFoundError(block, {cause: e})
    throw e
  }
  return parseMeta(buf, block)
}

export async function writeMeta(bucket: Bucket, meta: BlockMeta, opts: BucketCallOptions = {}): Promise<void> {
  await bucket.upload(`${meta.ulid}/${META_FILENAME}`, Buffer.from(formatMeta(meta)), opts)
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function int(v: unknown, what: string, bad: (what: string) => never): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) return bad(`${what} is not an integer: ${JSON.stringify(v)}`)
  return v
}

function stringList(v: unknown, what: string, bad: (what: string) => never): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) return bad(`${what} is not a list of strings`)
  return v as string[]
}

function ulidList(v: unknown, what: string, bad: (what: string) => never): string[] {
  const l = stringList(v, what, bad)
  for (const s of l) if (!isUlid(s)) bad(`${what} has an invalid ULID ${JSON.stringify(s)}`)
  return l
}
