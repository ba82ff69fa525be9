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

export interface StoreChunk extends RawChunk {
  encoding: number
  /** Chunk.hash (xxhash64 of data) when the store sent one, as an opaque exact key; else ''. */
  hash: string
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
