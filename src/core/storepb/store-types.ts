/**
 * The querier-side view of the StoreAPI, decoded from the wire once at the client edge
 * (store-client.ts) so that the proxy, the merge and the dedup work on plain TS values:
 * labels are our `Labels`, times are ms numbers, matchers are our `Matcher`s.
 */
import type {Labels} from '../labels/labels.js'
import type {Matcher} from '../labels/matcher.js'

/** Chunk encodings as StoreAPI `Chunk.Encoding`. */
export const enum ChunkEncoding {
  XOR = 0,
  HISTOGRAM = 1,
  FLOAT_HISTOGRAM = 2,
}

/** What the series needs of a chunk; times in ms. */
export interface RawChunk {
  minTime: number
  maxTime: number
  /** Prometheus XOR chunk bytes (2-byte sample count + bit stream). */
  data: Uint8Array
}

/**
 * StoreAPI `Aggr`: what a SeriesRequest asks of downsampled chunks (`aggregates`). RAW = 0 is
 * the raw chunk; the others name the AggrChunk field filled from a downsampled block.
 */
export const Aggr = {
  RAW: 0,
  COUNT: 1,
  SUM: 2,
  MIN: 3,
  MAX: 4,
  COUNTER: 5,
} as const
export type Aggr = (typeof Aggr)[keyof typeof Aggr]

/** One aggregate of a downsampled chunk as sent (AggrChunk.count .. counter): StoreAPI encoding and bytes. */
export interface AggrPart {
  readonly encoding: number
  readonly data: Uint8Array
}

/**
 * `StoreChunk.encoding` of a chunk from a downsampled block: it has no raw chunk (`data` is
 * empty) and carries `aggrs` instead. Not a StoreAPI `Chunk.Encoding`: never sent as one.
 */
export const AGGREGATES_ENCODING = 0xff

export interface StoreChunk extends RawChunk {
  encoding: number
  /** Chunk.hash (xxhash64 of data) when the store sent one, as an opaque exact key; else ''. */
  hash: string
  /**
   * A downsampled chunk (encoding AGGREGATES_ENCODING): the aggregates sent, at index
   * Aggr - 1 (count, sum, min, max, counter); undefined where not sent.
   */
  aggrs?: readonly (AggrPart | undefined)[]
}

export interface StoreSeries {
  readonly labels: Labels
  chunks: StoreChunk[]
}

export type SeriesFrame = {series: StoreSeries; warning?: undefined} | {warning: string; series?: undefined}

export interface QueryHints {
  stepMs?: number
  func?: string
  rangeMs?: number
  grouping?: {by: boolean; labels: string[]}
}

export interface SeriesQuery {
  /** Inclusive, ms. */
  minTime: number
  maxTime: number
  matchers: readonly Matcher[]
  skipChunks?: boolean
  /** true = PartialResponseStrategy WARN, false = ABORT. */
  partialResponse: boolean
  withoutReplicaLabels?: readonly string[]
  hints?: QueryHints
  limit?: number
  /** Series per `batch` frame the client accepts (serving side); 0/1 = single frames. */
  responseBatchSize?: number
  /** `max_resolution_window` (ms): the coarsest downsampling resolution a store may answer from; 0 = raw only. */
  maxResolutionWindow?: number
  /** `aggregates`: which AggrChunk fields a downsampled chunk is sent with. */
  aggregates?: readonly Aggr[]
}

export interface LabelsQuery {
  start: number
  end: number
  matchers: readonly Matcher[]
  partialResponse: boolean
  withoutReplicaLabels?: readonly string[]
  limit?: number
}

/** What the proxy needs from one store; StoreClient implements it over gRPC. */
export interface StoreCaller {
  series(q: SeriesQuery, signal: AbortSignal): AsyncIterable<SeriesFrame>
  /**
   * The same frames, as they arrive: one array per response message (a `batch` frame holds many
   * series). Callers that walk many series prefer it: one asynchronous step per message instead
   * of one per series.
   */
  seriesBatches?(q: SeriesQuery, signal: AbortSignal): AsyncIterable<readonly SeriesFrame[]>
  labelNames(q: LabelsQuery, signal: AbortSignal): Promise<{names: string[]; warnings: string[]}>
  labelValues(name: string, q: LabelsQuery, signal: AbortSignal): Promise<{values: string[]; warnings: string[]}>
}

/** A store as the proxy sees it: identity, what it announces, and how to call it. */
export interface StoreRef {
  /** Address, used in warnings and `storeMatch[]`. */
  readonly name: string
  readonly labelSets: readonly Labels[]
  readonly minTime: number
  readonly maxTime: number
  readonly supportsWithoutReplicaLabels: boolean
  readonly caller: StoreCaller
}

/** A frame stream as batches of one, for code that reads batches from stores that do not make them. */
export async function* singleFrames(frames: AsyncIterable<SeriesFrame>): AsyncGenerator<readonly SeriesFrame[]> {
  for await (const f of frames) yield [f]
}
