/**
 * Hand-written codec for the remote-read messages on the sidecar's hot path (one
 * ChunkedReadResponse per frame), checked against the protobufjs types of proto/prometheus in
 * tests. Chunk bytes are zero-copy views into the frame.
 */
import {BadDataError} from '../errors.js'
import type {Label, Labels} from '../labels/labels.js'
import type {Matcher} from '../labels/matcher.js'
import {PbReader, WIRE_LEN} from '../storepb/pb-reader.js'
import {ProtoWriter} from '../storepb/pb-writer.js'

/** prometheus.ReadRequest.ResponseType */
export const SAMPLES = 0
export const STREAMED_XOR_CHUNKS = 1

/** prometheus.Chunk.Encoding (note: XOR = 1 here, 0 in Thanos's StoreAPI). */
export const PROM_CHUNK_XOR = 1

export interface ReadHints {
  stepMs?: number
  func?: string
  startMs: number
  endMs: number
  grouping?: readonly string[]
  by?: boolean
  rangeMs?: number
}

export interface RemoteReadQuery {
  /** Inclusive, ms. */
  start: number
  end: number
  matchers: readonly Matcher[]
  hints?: ReadHints
}

export interface PromChunk {
  minTime: number
  maxTime: number
  /** prometheus.Chunk.Encoding */
  type: number
  data: Uint8Array
}

export interface ChunkedSeries {
  labels: Labels
  chunks: PromChunk[]
}

export function encodeReadRequest(q: RemoteReadQuery, acceptedTypes: readonly number[] = [STREAMED_XOR_CHUNKS, SAMPLES]): Uint8Array {
  const w = new ProtoWriter()
  w.message(1, (qw) => {
    qw.int64(1, q.start)
    qw.int64(2, q.end)
    for (const m of q.matchers) {
      qw.message(3, (mw) => {
        if (m.type !== 0) {
          mw.tag(1, 0)
          mw.varint(m.type) // same numbering as our MatchType
        }
        mw.string(2, m.name)
        mw.string(3, m.value)
      })
    }
    // Always send hints with the time range: some Prometheus versions select nothing from
    // zero start/end hints.
    const h = q.hints ?? {startMs: q.start, endMs: q.end}
    qw.message(4, (hw) => {
      hw.int64(1, h.stepMs ?? 0)
      if (h.func) hw.string(2, h.func)
      hw.int64(3, h.startMs)
      hw.int64(4, h.endMs)
      for (const g of h.grouping ?? []) hw.string(5, g)
      hw.bool(6, h.by)
      hw.int64(7, h.rangeMs ?? 0)
    })
  })
  for (const t of acceptedTypes) {
    w.tag(2, 0)
    w.varint(t)
  }
  return w.finish()
}

/** One Label, read in place like decodeChunk (`r.pos` at its first field, `e` its end). */
function decodeLabel(r: PbReader, e: number): Label {
  let name = ''
  let value = ''
  while (r.pos < e) {
    const key = r.key()
    if (key === 0x0a) name = r.labelString()
    else if (key === 0x12) value = r.labelString()
    else r.skip(key & 7)
  }
  if (r.pos !== e) throw new BadDataError('remote read: Label overruns its length')
  return {name, value}
}

const NO_BYTES = new Uint8Array(0)

/**
 * One Chunk, read in place by the series' reader (`r.pos` at its first field, `e` its end):
 * about a hundred of these per series, so no reader, tuple or copy per chunk.
 */
function decodeChunk(r: PbReader, e: number): PromChunk {
  let minTime = 0
  let maxTime = 0
  let type = 0
  let data: Uint8Array = NO_BYTES
  while (r.pos < e) {
    const key = r.key()
    if (key === 0x08) minTime = r.int64()
    else if (key === 0x10) maxTime = r.int64()
    else if (key === 0x18) type = r.varint()
    else if (key === 0x22) {
      const end = r.lenEnd()
      data = r.buf.subarray(r.pos, end)
      r.pos = end
    } else r.skip(key & 7)
  }
  if (r.pos !== e) throw new BadDataError('remote read: Chunk overruns its length')
  return {minTime, maxTime, type, data}
}

/** Decodes a ChunkedReadResponse frame payload. */
export function decodeChunkedReadResponse(buf: Uint8Array): {series: ChunkedSeries[]; queryIndex: number} {
  const r = new PbReader(buf, 0, buf.length, 'ChunkedReadResponse')
  const series: ChunkedSeries[] = []
  let queryIndex = 0
  while (r.more) {
    const [f, wt] = r.tag()
    if (f === 1 && wt === WIRE_LEN) {
      const [s, e] = r.lenDelim()
      const sr = new PbReader(buf, s, e, 'ChunkedSeries')
      const labels: Label[] = []
      const chunks: PromChunk[] = []
      while (sr.more) {
        const [sf, swt] = sr.tag()
        if (sf === 1 && swt === WIRE_LEN) {
          const le = sr.lenEnd()
          labels.push(decodeLabel(sr, le))
        } else if (sf === 2 && swt === WIRE_LEN) {
          const ce = sr.lenEnd()
          chunks.push(decodeChunk(sr, ce))
        } else sr.skip(swt)
      }
      series.push({labels, chunks})
    } else if (f === 2 && wt === 0) queryIndex = r.int64()
    else r.skip(wt)
  }
  return {series, queryIndex}
}

export interface SampledSeries {
  labels: Labels
  ts: Float64Array
  vs: Float64Array
}

/** Decodes a (snappy-decompressed) SAMPLES ReadResponse; returns the series of query 0.. in order. */
export function decodeReadResponse(buf: Uint8Array): SampledSeries[][] {
  const r = new PbReader(buf, 0, buf.length, 'ReadResponse')
  const results: SampledSeries[][] = []
  while (r.more) {
    const [f, wt] = r.tag()
    if (f !== 1 || wt !== WIRE_LEN) {
      r.skip(wt)
      continue
    }
    const [qs, qe] = r.lenDelim()
    const qr = new PbReader(buf, qs, qe, 'QueryResult')
    const out: SampledSeries[] = []
    while (qr.more) {
      const [qf, qwt] = qr.tag()
      if (qf !== 1 || qwt !== WIRE_LEN) {
        qr.skip(qwt)
        continue
      }
      const [ts0, te0] = qr.lenDelim()
      const tr = new PbReader(buf, ts0, te0, 'TimeSeries')
      const labels: Label[] = []
      const ts: number[] = []
      const vs: number[] = []
      while (tr.more) {
        const [tf, twt] = tr.tag()
        if (tf === 1 && twt === WIRE_LEN) {
          const le = tr.lenEnd()
          labels.push(decodeLabel(tr, le))
        } else if (tf === 2 && twt === WIRE_LEN) {
          const [ss, se] = tr.lenDelim()
          const sr = new PbReader(buf, ss, se, 'Sample')
          let v = 0
          let t = 0
          while (sr.more) {
            const [sf, swt] = sr.tag()
            if (sf === 1 && swt === 1) v = sr.double()
            else if (sf === 2 && swt === 0) t = sr.int64()
            else sr.skip(swt)
          }
          ts.push(t)
          vs.push(v)
        } else tr.skip(twt)
      }
      out.push({labels, ts: Float64Array.from(ts), vs: Float64Array.from(vs)})
    }
    results.push(out)
  }
  return results
}
