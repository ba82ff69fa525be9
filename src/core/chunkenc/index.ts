/**
 * chunkenc/: the XOR chunk codec. The encoder lives here; the allocation-free decode iterator
 * is store/xor-decoder.ts (written first for the querier's hot path) and is re-exported here
 * so that callers have one place to import from.
 */
export {MAX_SAMPLES_PER_CHUNK, XorChunkEncoder, encodeXorChunks, type EncodedChunk} from './xor-encoder.js'
export {XorDecodeIterator, decodeXorChunk} from '../store/xor-decoder.js'
export {STALE_NAN, isStaleNaN} from './value.js'
