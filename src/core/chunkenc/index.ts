/**
 * chunkenc/: chunk codecs, encoders and allocation-free decoders together: XOR
 * (xor-encoder.ts, xor-decoder.ts), as prometheus/tsdb/chunkenc.
 */
export {MAX_SAMPLES_PER_CHUNK, XorChunkEncoder, encodeXorChunks, type EncodedChunk} from './xor-encoder.js'
export {XorDecodeIterator, decodeXorChunk} from './xor-decoder.js'
export {STALE_NAN, isStaleNaN} from './value.js'
