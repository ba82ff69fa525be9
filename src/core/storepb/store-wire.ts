/**
 * Protobuf encoding of the StoreAPI messages the querier sends and receives, written directly
 * against the wire format (field numbers from upstream
 * `pkg/store/storepb/rpc.proto`, `types.proto`, `pkg/info/infopb/rpc.proto`).
 *
 * Why by hand, next to the generated types in storepb/: this is the querier's hot path. Chunk
 * bytes are returned as views into the received frame (no copy), labels go straight into our
 * `Labels` shape, int64 times become numbers without Long objects, and fields the querier does
 * not use (hints, TSDB infos) are skipped without being decoded. Downsampled chunks (AggrChunk
 * count..counter instead of raw) keep their aggregates as views too.
 */
import {BadDataError} from '../errors.js'
import {sortLabels, type Label, type Labels} from '../labels/labels.js'
import {Matcher} from '../labels/matcher.js'
import {negativeInt64} from './pb-reader.js'
import {clampInt64, ProtoWriter} from './pb-writer.js'
import {AGGREGATES_ENCODING, type Aggr, type AggrPart, type LabelsQuery, type SeriesFrame, type SeriesQuery, type StoreChunk, type StoreSeries} from './store-types.js'
import {decodeLabelUtf8, decodeUtf8, utf8Length} from './utf8.js'

/** Normalised `InfoResponse`. */
export interface EndpointInfo {
  componentType: string
  labelSets: Labels[]
  /** Present when the endpoint serves the StoreAPI. */
  store?: {
    minTime: number
    maxTime: number
    supportsSharding: boolean
    supportsWithoutReplicaLabels: boolean
  }
  /** Present (an empty RulesInfo) when the endpoint serves `thanos.Rules`. */
  rules?: true
  /** Present (MetricMetadataInfo) when it serves `thanos.Metadata`. */
  metricMetadata?: true
  /** Present (TargetsInfo) when it serves `thanos.Targets`. */
  targets?: true
  /** Present when it serves `thanos.Exemplars`; a Thanos sidecar announces 0, 0. */
  exemplars?: {minTime: number; maxTime: number}
}

/** Response batch size the querier asks for (Thanos `store.DefaultResponseBatchSize`). */
export const RESPONSE_BATCH_SIZE = 64


function writeMatchers(w: ProtoWriter, field: number, ms: readonly Matcher[]): void {
  for (const m of ms) {
    w.message(field, (mw) => {
      if (m.type !== 0) {
        mw.tag(1, 0)
        mw.varint(m.type)
      }
      mw.string(2, m.name)
      mw.string(3, m.value)
    })
  }
}

/** StoreAPI PartialResponseStrategy: WARN = 0, ABORT = 1. */
function strategy(partialResponse: boolean): number {
  return partialResponse ? 0 : 1
}

export function encodeSeriesRequest(q: SeriesQuery): Uint8Array {
  const w = new ProtoWriter()
  w.int64(1, q.minTime)
  w.int64(2, q.maxTime)
  writeMatchers(w, 3, q.matchers)
  if (q.maxResolutionWindow) w.int64(4, q.maxResolutionWindow)
  if (q.aggregates && q.aggregates.length > 0) {
    // repeated enum, packed as proto3 writes it
    let n = 0
    for (const a of q.aggregates) n += varintSize(a)
    w.lengthDelimited(5, n)
    for (const a of q.aggregates) w.varint(a)
  }
  // Old stores only know partial_response_disabled (6); newer ones read the strategy (7).
  w.bool(6, !q.partialResponse)
  if (!q.partialResponse) {
    w.tag(7, 0)
    w.varint(strategy(false))
  }
  w.bool(8, q.skipChunks)
  const h = q.hints
  if (h && (h.stepMs || h.func || h.rangeMs || h.grouping)) {
    w.message(12, (hw) => {
      if (h.stepMs) hw.int64(1, h.stepMs)
      if (h.func) hw.message(2, (fw) => fw.string(1, h.func!))
      if (h.grouping) {
        hw.message(4, (gw) => {
          gw.bool(1, h.grouping!.by)
          for (const l of h.grouping!.labels) gw.string(3, l)
        })
      }
      if (h.rangeMs) hw.message(5, (rw) => rw.int64(1, h.rangeMs!))
    })
  }
  for (const l of q.withoutReplicaLabels ?? []) w.string(14, l)
  if (q.limit) w.int64(15, q.limit)
  w.int64(16, RESPONSE_BATCH_SIZE)
  return w.finish()
}

export function encodeLabelNamesRequest(q: LabelsQuery): Uint8Array {
  const w = new ProtoWriter()
  w.bool(1, !q.partialResponse)
  if (!q.partialResponse) {
    w.tag(2, 0)
    w.varint(1)
  }
  w.int64(3, q.start)
  w.int64(4, q.end)
  writeMatchers(w, 6, q.matchers)
  for (const l of q.withoutReplicaLabels ?? []) w.string(7, l)
  if (q.limit) w.int64(8, q.limit)
  return w.finish()
}

export function encodeLabelValuesRequest(name: string, q: LabelsQuery): Uint8Array {
  const w = new ProtoWriter()
  w.string(1, name)
  w.bool(2, !q.partialResponse)
  if (!q.partialResponse) {
    w.tag(3, 0)
    w.varint(1)
  }
  w.int64(4, q.start)
  w.int64(5, q.end)
  writeMatchers(w, 7, q.matchers)
  for (const l of q.withoutReplicaLabels ?? []) w.string(8, l)
  if (q.limit) w.int64(9, q.limit)
  return w.finish()
}

// ---------------------------------------------------------------------------------------------
// Reader

class Reader {
  pos: number
  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start
  }

  get more(): boolean {
    return this.pos < this.end
  }

  /** Unsigned varint as a number; exact below 2^53. */
  varint(): number {
    let result = 0
    let mul = 1
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new BadDataError('truncated varint in StoreAPI message')
      const b = this.buf[this.pos++]!
      result += (b & 0x7f) * mul
      if (b < 0x80) return result
      mul *= 128
    }
    throw new BadDataError('malformed varint in StoreAPI message')
  }

  /**
   * int64: negative values are ten-byte two's complement varints. Decided by length, not by
   * value: MaxInt64 (nine bytes) rounds to 2^63 as a double and must stay positive.
   */
  int64(): number {
    const start = this.pos
    const v = this.varint()
    return this.pos - start === 10 ? negativeInt64(this.buf, start) : v
  }

  /** Returns [start, end) of a length-delimited field's payload and skips it. */
  lenDelim(): [number, number] {
    const n = this.varint()
    const s = this.pos
    if (s + n > this.end) throw new BadDataError('truncated length-delimited field in StoreAPI message')
    this.pos = s + n
    return [s, s + n]
  }

  string(): string {
    const [s, e] = this.lenDelim()
    return decodeUtf8(this.buf, s, e)
  }

  /** A label name or value: recurring strings come from one table (utf8.ts). */
  labelString(): string {
    const [s, e] = this.lenDelim()
    return decodeLabelUtf8(this.buf, s, e)
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint()
        return
      case 1:
        this.pos += 8
        return
      case 2:
        this.lenDelim()
        return
      case 5:
        this.pos += 4
        return
      default:
        throw new BadDataError(`unsupported protobuf wire type ${wireType}`)
    }
  }

  sub([s, e]: [number, number]): Reader {
    return new Reader(this.buf, s, e)
  }
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength)
}

function readLabel(r: Reader): Label {
  let name = ''
  let value = ''
  while (r.more) {
    const t = r.varint()
    const f = t >>> 3
    if (f === 1) name = r.labelString()
    else if (f === 2) value = r.labelString()
    else r.skip(t & 7)
  }
  return {name, value}
}

/** Labels are sorted by name per the contract; a misbehaving store gets sorted here. */
function finishLabels(ls: Label[]): Labels {
  for (let i = 1; i < ls.length; i++) if (ls[i - 1]!.name > ls[i]!.name) return sortLabels(ls)
  return ls
}

function readChunk(r: Reader, minTime: number, maxTime: number): StoreChunk {
  let encoding = 0
  let data: Uint8Array = new Uint8Array(0)
  let hash = ''
  while (r.more) {
    const t = r.varint()
    const f = t >>> 3
    if (f === 1) encoding = r.varint()
    else if (f === 2) {
      const [s, e] = r.lenDelim()
      data = r.buf.subarray(s, e)
    } else if (f === 3) {
      // uint64 may exceed 2^53: keep the varint's bytes as the (exact) key.
      const s = r.pos
      r.varint()
      hash = r.buf.toString('hex', s, r.pos)
    } else r.skip(t & 7)
  }
  return {minTime, maxTime, encoding, data, hash}
}

const NO_DATA = new Uint8Array(0)

function readAggrChunk(r: Reader): StoreChunk | undefined {
  let minTime = 0
  let maxTime = 0
  let raw: [number, number] | undefined
  let aggrs: (AggrPart | undefined)[] | undefined
  while (r.more) {
    const t = r.varint()
    const f = t >>> 3
    if (f === 1) minTime = r.int64()
    else if (f === 2) maxTime = r.int64()
    else if (f === 3) raw = r.lenDelim()
    else if (f >= 4 && f <= 8 && (t & 7) === 2) {
      // count, sum, min, max, counter of a downsampled block (store gateway)
      const c = readChunk(r.sub(r.lenDelim()), 0, 0)
      aggrs ??= [undefined, undefined, undefined, undefined, undefined]
      aggrs[f - 4] = {encoding: c.encoding, data: c.data}
    } else r.skip(t & 7)
  }
  if (raw) return readChunk(r.sub(raw), minTime, maxTime)
  return aggrs ? {minTime, maxTime, encoding: AGGREGATES_ENCODING, data: NO_DATA, hash: '', aggrs} : undefined
}

function readSeries(r: Reader): StoreSeries {
  const labels: Label[] = []
  const chunks: StoreChunk[] = []
  while (r.more) {
    const t = r.varint()
    const f = t >>> 3
    if (f === 1) labels.push(readLabel(r.sub(r.lenDelim())))
    else if (f === 2) {
      const c = readAggrChunk(r.sub(r.lenDelim()))
      if (c) chunks.push(c)
    } else r.skip(t & 7)
  }
  return {labels: finishLabels(labels), chunks}
}

/** One `SeriesResponse` frame; a `batch` frame yields several series. `hints` are ignored. */
export function decodeSeriesResponse(u: Uint8Array): SeriesFrame[] {
  const r = new Reader(asBuffer(u))
  const out: SeriesFrame[] = []
  while (r.more) {
    const t = r.varint()
    const f = t >>> 3
    if (f === 1) out.push({series: readSeries(r.sub(r.lenDelim()))})
    else if (f === 2) out.push({warning: r.string()})
    else if (f === 4) {
      const b = r.sub(r.lenDelim())
      while (b.more) {
        const bt = b.varint()
        if (bt >>> 3 === 1) out.push({series: readSeries(b.sub(b.lenDelim()))})
        else b.skip(bt & 7)
      }
    } else r.skip(t & 7)
  }
  return out
}

function readStrings(u: Uint8Array, valuesField: number): {items: string[]; warnings: string[]} {
  const r = new Reader(asBuffer(u))
  const items: string[] = []
  const warnings: string[] = []
  while (r.more) {
    const t = r.varint()
    const f = t >>> 3
    if (f === valuesField) items.push(r.string())
    else if (f === 2) warnings.push(r.string())
    else r.skip(t & 7)
  }
  return {items, warnings}
}

export function decodeLabelNamesResponse(u: Uint8Array): {names: string[]; warnings: string[]} {
  const {items, warnings} = readStrings(u, 1)
  return {names: items, warnings}
}

export function decodeLabelValuesResponse(u: Uint8Array): {values: string[]; warnings: string[]} {
  const {items, warnings} = readStrings(u, 1)
  return {values: items, warnings}
}

export function decodeInfoResponse(u: Uint8Array): EndpointInfo {
  const r = new Reader(asBuffer(u))
  const info: EndpointInfo = {componentType: '', labelSets: []}
  while (r.more) {
    const t = r.varint()
    const f = t >>> 3
    if (f === 1) {
      const s = r.sub(r.lenDelim())
      const ls: Label[] = []
      while (s.more) {
        const st = s.varint()
        if (st >>> 3 === 1) ls.push(readLabel(s.sub(s.lenDelim())))
        else s.skip(st & 7)
      }
      // Empty label sets are dropped, as upstream does.
      if (ls.length > 0) info.labelSets.push(finishLabels(ls))
    } else if (f === 2) info.componentType = r.string()
    else if (f === 3) {
      const s = r.sub(r.lenDelim())
      const store = {minTime: 0, maxTime: 0, supportsSharding: false, supportsWithoutReplicaLabels: false}
      while (s.more) {
        const st = s.varint()
        const sf = st >>> 3
        if (sf === 1) store.minTime = s.int64()
        else if (sf === 2) store.maxTime = s.int64()
        else if (sf === 3) store.supportsSharding = s.varint() !== 0
        else if (sf === 5) store.supportsWithoutReplicaLabels = s.varint() !== 0
        else s.skip(st & 7)
      }
      info.store = store
    } else if (f === 4 || f === 5 || f === 6) {
      // RulesInfo, MetricMetadataInfo, TargetsInfo: empty messages, their presence is the flag
      r.lenDelim()
      if (f === 4) info.rules = true
      else if (f === 5) info.metricMetadata = true
      else info.targets = true
    } else if (f === 7) {
      const s = r.sub(r.lenDelim())
      const exemplars = {minTime: 0, maxTime: 0}
      while (s.more) {
        const st = s.varint()
        const sf = st >>> 3
        if (sf === 1) exemplars.minTime = s.int64()
        else if (sf === 2) exemplars.maxTime = s.int64()
        else s.skip(st & 7)
      }
      info.exemplars = exemplars
    } else r.skip(t & 7)
  }
  return info
}

// ---------------------------------------------------------------------------------------------
// Server side (responses), for serving the proxy and for test servers.

function writeLabels(w: ProtoWriter, field: number, ls: Labels): void {
  for (const l of ls) {
    const m = w.begin(field)
    w.string(1, l.name)
    w.string(2, l.value)
    w.end(m)
  }
}

// Series responses carry nearly all the bytes a sidecar sends. Their nested lengths (batch,
// series, AggrChunk, Chunk) are computed before writing, so every byte is written once, in
// place: with begin()/end() each level would shift its body to fit a multi-byte length.

function varintSize(n: number): number {
  if (n < 0) return 10
  if (n < 0x80) return 1
  if (n < 0x4000) return 2
  if (n < 0x200000) return 3
  if (n < 0x10000000) return 4
  if (n < 2 ** 35) return 5
  if (n < 2 ** 42) return 6
  if (n < 2 ** 49) return 7
  if (n < 2 ** 56) return 8
  // up to MaxInt64 (larger values are clamped to it, nine bytes as well)
  return 9
}

const int64FieldSize = (v: number): number => (v === 0 ? 0 : 1 + varintSize(clampInt64(v)))
const lenFieldSize = (len: number): number => 1 + varintSize(len) + len

/** Chunk{type, data}: the body of AggrChunk.raw (or of one aggregate). */
const rawChunkSize = (c: {encoding: number; data: Uint8Array}): number => (c.encoding !== 0 ? 1 + varintSize(c.encoding) : 0) + lenFieldSize(c.data.length)
function aggrChunkSize(c: StoreChunk, raw: number): number {
  const times = int64FieldSize(c.minTime) + int64FieldSize(c.maxTime)
  if (c.aggrs === undefined) return times + lenFieldSize(raw)
  let n = times
  for (const a of c.aggrs) if (a) n += lenFieldSize(rawChunkSize(a))
  return n
}

function writeChunkBody(w: ProtoWriter, c: {encoding: number; data: Uint8Array}): void {
  if (c.encoding !== 0) {
    w.tag(1, 0)
    w.varint(c.encoding)
  }
  w.bytes(2, c.data)
}

function labelSize(l: Label): number {
  return lenFieldSize(utf8Length(l.name)) + lenFieldSize(utf8Length(l.value))
}

function seriesBodySize(s: StoreSeries): number {
  let n = 0
  for (const l of s.labels) n += lenFieldSize(labelSize(l))
  for (const c of s.chunks) n += lenFieldSize(aggrChunkSize(c, c.aggrs === undefined ? rawChunkSize(c) : 0))
  return n
}

/** Writes `field: Series` with its length known up front (`bodySize` if the caller has it). */
function writeSeriesField(w: ProtoWriter, field: number, s: StoreSeries, bodySize = seriesBodySize(s)): void {
  w.lengthDelimited(field, bodySize)
  for (const l of s.labels) {
    w.lengthDelimited(1, labelSize(l))
    w.string(1, l.name)
    w.string(2, l.value)
  }
  for (const c of s.chunks) {
    const raw = c.aggrs === undefined ? rawChunkSize(c) : 0
    w.lengthDelimited(2, aggrChunkSize(c, raw))
    w.int64(1, c.minTime)
    w.int64(2, c.maxTime)
    if (c.aggrs === undefined) {
      w.lengthDelimited(3, raw)
      writeChunkBody(w, c)
      continue
    }
    for (let i = 0; i < c.aggrs.length; i++) {
      const a = c.aggrs[i]
      if (!a) continue
      w.lengthDelimited(4 + i, rawChunkSize(a))
      writeChunkBody(w, a)
    }
  }
}

/** Series responses are written by one reused writer: no growth from 256 bytes per frame. */
const seriesWriter = new ProtoWriter(1 << 16)

/**
 * A SeriesResponse encoded into the shared writer, returned as a view of it that the next call
 * overwrites. For a consumer that copies it at once: grpc-js's serializer does (it frames the
 * message into a new buffer), which saves the sidecar a copy of every byte it sends.
 */
export function seriesResponseView(f: SeriesFrame): Buffer {
  const w = seriesWriter
  w.reset()
  if (f.warning !== undefined) w.string(2, f.warning)
  else writeSeriesField(w, 1, f.series)
  return w.finish()
}

/** Scratch for seriesBatchResponseView's per-series sizes. */
let batchSizes = new Float64Array(64)

/** A SeriesResponse whose `batch` holds `series`, as a view like seriesResponseView. */
export function seriesBatchResponseView(series: readonly StoreSeries[]): Buffer {
  const w = seriesWriter
  w.reset()
  // Each series' size is needed twice (the batch's length, then its own): computed once.
  const sizes = batchSizes.length >= series.length ? batchSizes : (batchSizes = new Float64Array(series.length * 2))
  let body = 0
  for (let i = 0; i < series.length; i++) body += lenFieldSize((sizes[i] = seriesBodySize(series[i]!)))
  w.lengthDelimited(4, body)
  for (let i = 0; i < series.length; i++) writeSeriesField(w, 1, series[i]!, sizes[i]!)
  return w.finish()
}

export function encodeSeriesResponse(f: SeriesFrame): Uint8Array {
  return copyOf(seriesResponseView(f))
}

export function encodeSeriesBatchResponse(series: readonly StoreSeries[]): Uint8Array {
  return copyOf(seriesBatchResponseView(series))
}

function copyOf(b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(b.length)
  b.copy(out)
  return out
}

export function encodeInfoResponse(info: EndpointInfo): Uint8Array {
  const w = new ProtoWriter()
  for (const ls of info.labelSets) w.message(1, (sw) => writeLabels(sw, 1, ls))
  w.string(2, info.componentType)
  if (info.store) {
    const st = info.store
    w.message(3, (sw) => {
      sw.int64(1, st.minTime)
      sw.int64(2, st.maxTime)
      sw.bool(3, st.supportsSharding)
      sw.bool(5, st.supportsWithoutReplicaLabels)
    })
  }
  // Fields in number order, as Go writes them; empty messages announce the API.
  if (info.rules) w.message(4, () => {})
  if (info.metricMetadata) w.message(5, () => {})
  if (info.targets) w.message(6, () => {})
  if (info.exemplars) {
    const ex = info.exemplars
    w.message(7, (sw) => {
      sw.int64(1, ex.minTime)
      sw.int64(2, ex.maxTime)
    })
  }
  return w.finish()
}

export function encodeStringsResponse(items: readonly string[], warnings: readonly string[]): Uint8Array {
  const w = new ProtoWriter()
  for (const s of items) w.string(1, s)
  for (const s of warnings) w.string(2, s)
  return w.finish()
}

function readMatcher(r: Reader): Matcher {
  let type = 0
  let name = ''
  let value = ''
  while (r.more) {
    const t = r.varint()
    const f = t >>> 3
    if (f === 1) type = r.varint()
    else if (f === 2) name = r.string()
    else if (f === 3) value = r.string()
    else r.skip(t & 7)
  }
  if (type > 3) throw new BadDataError(`unknown matcher type ${type}`)
  return new Matcher(type, name, value)
}

/** Decodes a `SeriesRequest` (server side). @throws BadDataError on malformed input or regex. */
export function decodeSeriesRequest(u: Uint8Array): SeriesQuery {
  const r = new Reader(asBuffer(u))
  const q: SeriesQuery & {matchers: Matcher[]; withoutReplicaLabels: string[]} = {minTime: 0, maxTime: 0, matchers: [], partialResponse: true, withoutReplicaLabels: []}
  let disabled = false
  let abort = false
  while (r.more) {
    const t = r.varint()
    const f = t >>> 3
    if (f === 1) q.minTime = r.int64()
    else if (f === 2) q.maxTime = r.int64()
    else if (f === 3) q.matchers.push(readMatcher(r.sub(r.lenDelim())))
    else if (f === 4) q.maxResolutionWindow = r.int64()
    else if (f === 5) {
      // repeated enum: packed (proto3) or one varint per field
      const aggrs = (q.aggregates ??= []) as Aggr[]
      if ((t & 7) === 2) {
        const p = r.sub(r.lenDelim())
        while (p.more) aggrs.push(p.varint() as Aggr)
      } else aggrs.push(r.varint() as Aggr)
    }
    else if (f === 6) disabled = r.varint() !== 0
    else if (f === 7) abort = r.varint() === 1
    else if (f === 8) q.skipChunks = r.varint() !== 0
    else if (f === 12) {
      const h = r.sub(r.lenDelim())
      q.hints = {}
      while (h.more) {
        const ht = h.varint()
        const hf = ht >>> 3
        if (hf === 1) q.hints.stepMs = h.int64()
        else if (hf === 2) {
          const fr = h.sub(h.lenDelim())
          while (fr.more) {
            const ft = fr.varint()
            if (ft >>> 3 === 1) q.hints.func = fr.string()
            else fr.skip(ft & 7)
          }
        } else if (hf === 4) {
          const g = h.sub(h.lenDelim())
          const grouping = {by: false, labels: [] as string[]}
          while (g.more) {
            const gt = g.varint()
            if (gt >>> 3 === 1) grouping.by = g.varint() !== 0
            else if (gt >>> 3 === 3) grouping.labels.push(g.string())
            else g.skip(gt & 7)
          }
          q.hints.grouping = grouping
        } else if (hf === 5) {
          const rr = h.sub(h.lenDelim())
          while (rr.more) {
            const rt = rr.varint()
            if (rt >>> 3 === 1) q.hints.rangeMs = rr.int64()
            else rr.skip(rt & 7)
          }
        } else h.skip(ht & 7)
      }
    } else if (f === 14) q.withoutReplicaLabels.push(r.string())
    else if (f === 15) q.limit = r.int64()
    else if (f === 16) q.responseBatchSize = r.int64()
    else r.skip(t & 7)
  }
  q.partialResponse = !(disabled || abort)
  return q
}

/** Decodes a `LabelNamesRequest` (server side). */
export function decodeLabelNamesRequest(u: Uint8Array): LabelsQuery {
  return decodeLabelsRequest(u, {disabled: 1, strategy: 2, start: 3, end: 4, matchers: 6, without: 7, limit: 8}).q
}

/** Decodes a `LabelValuesRequest` (server side): the label name and the query. */
export function decodeLabelValuesRequest(u: Uint8Array): {name: string; q: LabelsQuery} {
  return decodeLabelsRequest(u, {label: 1, disabled: 2, strategy: 3, start: 4, end: 5, matchers: 7, without: 8, limit: 9})
}

function decodeLabelsRequest(
  u: Uint8Array,
  f: {label?: number; disabled: number; strategy: number; start: number; end: number; matchers: number; without: number; limit: number},
): {name: string; q: LabelsQuery} {
  const r = new Reader(asBuffer(u))
  const matchers: Matcher[] = []
  const without: string[] = []
  const q: LabelsQuery = {start: 0, end: 0, matchers, partialResponse: true, withoutReplicaLabels: without}
  let name = ''
  let disabled = false
  let abort = false
  while (r.more) {
    const t = r.varint()
    const n = t >>> 3
    if (n === f.label) name = r.string()
    else if (n === f.disabled) disabled = r.varint() !== 0
    else if (n === f.strategy) abort = r.varint() === 1
    else if (n === f.start) q.start = r.int64()
    else if (n === f.end) q.end = r.int64()
    else if (n === f.matchers) matchers.push(readMatcher(r.sub(r.lenDelim())))
    else if (n === f.without) without.push(r.string())
    else if (n === f.limit) q.limit = r.int64()
    else r.skip(t & 7)
  }
  q.partialResponse = !(disabled || abort)
  return {name, q}
}
