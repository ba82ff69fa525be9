/**
 * chunkenc/: chunk codecs, encoders and allocation-free decoders together, as
 * prometheus/tsdb/chunkenc: XOR (xor-encoder.ts, xor-decoder.ts), integer and float native
 * histograms (histogram-*.ts, float-histogram-*.ts, over bit-stream.ts), and decode-chunk.ts,
 * which maps an encoding number to its iterator and refuses unknown ones.
 */
export {MAX_SAMPLES_PER_CHUNK, XorChunkEncoder, encodeXorChunks, type EncodedChunk} from './xor-encoder.js'
export {XorDecodeIterator, decodeXorChunk} from './xor-decoder.js'
export {STALE_NAN, isStaleNaN} from './value.js'
export {
  ChunkEncoding,
  UnsupportedChunkEncodingError,
  chunkEncodingToStoreEncoding,
  decodeChunk,
  storeEncodingToChunkEncoding,
  type DecodedChunk,
} from './decode-chunk.js'
export {HistogramDecodeIterator, decodeHistogramChunk, type HistogramSampleIterator} from './histogram-decoder.js'
export {FloatHistogramDecodeIterator, decodeFloatHistogramChunk} from './float-histogram-decoder.js'
export {
  DEFAULT_CHUNK_RANGE_MS,
  HistogramChunkEncoder,
  MAX_SAMPLES_PER_HISTOGRAM_CHUNK,
  MIN_SAMPLES_PER_HISTOGRAM_CHUNK,
  TARGET_BYTES_PER_HISTOGRAM_CHUNK,
  chunkHistogramSeries,
  encodeHistogramChunks,
  type EncodedHistogramChunk,
  type HistogramAppender,
  type HistogramChunkingOptions,
} from './histogram-encoder.js'
export {FloatHistogramChunkEncoder, encodeFloatHistogramChunks} from './float-histogram-encoder.js'
export {CounterResetHeader, counterResetHeaderOf, hintForSample} from './histogram-layout.js'
