/**
 * meta.json of a block being written: the Prometheus part (prometheus/tsdb/block.go BlockMeta,
 * writeMetaFile) with the Thanos section a Thanos producer adds (thanos-io/thanos
 * pkg/block/metadata/meta.go; pkg/compact/compact.go fills labels, downsample, source,
 * segment_files and index_stats before the upload). Text as block/meta.ts formatMeta writes it,
 * byte for byte what Thanos writes; the file goes to `meta.json.tmp`, is fsynced and renamed,
 * so a reader never sees half a meta.json.
 */
import {open, rename} from 'node:fs/promises'
import path from 'node:path'
import {ChunkEncoding} from '../chunks-reader.js'
import {formatMeta, META_FILENAME, type BlockMeta, type BlockStats} from '../meta.js'

/** Writes `<dir>/meta.json` durably; returns its size. */
export async function writeMetaFile(dir: string, meta: BlockMeta): Promise<number> {
  const file = path.join(dir, META_FILENAME)
  const tmp = `${file}.tmp`
  const text = Buffer.from(formatMeta(meta))
  const fh = await open(tmp, 'w', 0o644)
  try {
    await fh.writeFile(text)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await rename(tmp, file)
  return text.length
}

/** The sample-count mask of the ST chunk headers (prometheus/tsdb/chunkenc/st.go). */
const ST_SAMPLE_COUNT_MASK = 0x3fff

/**
 * Samples in a chunk as Chunk.NumSamples() reads them: the big-endian uint16 every Prometheus
 * chunk starts with (14 bits of it in the ST variants). Other encodings (Thanos's downsampled
 * aggregate chunks) have no such header: undefined.
 */
export function chunkSampleCount(encoding: number, data: Uint8Array): number | undefined {
  if (data.length < 2) return undefined
  const n = (data[0]! << 8) | data[1]!
  switch (encoding) {
    case ChunkEncoding.XOR:
    case ChunkEncoding.XOR2:
    case ChunkEncoding.Histogram:
    case ChunkEncoding.FloatHistogram:
      return n
    case ChunkEncoding.HistogramST:
    case ChunkEncoding.FloatHistogramST:
      return n & ST_SAMPLE_COUNT_MASK
    default:
      return undefined
  }
}

/** Block stats summed per chunk, split into float and histogram samples as compact.go does. */
export class StatsCollector {
  readonly stats: Required<Pick<BlockStats, 'numSamples' | 'numFloatSamples' | 'numHistogramSamples' | 'numSeries' | 'numChunks'>> = {
    numSamples: 0,
    numFloatSamples: 0,
    numHistogramSamples: 0,
    numSeries: 0,
    numChunks: 0,
  }

  addSeries(): void {
    this.stats.numSeries++
  }

  addChunk(encoding: number, samples: number): void {
    const s = this.stats
    s.numChunks++
    s.numSamples += samples
    switch (encoding) {
      case ChunkEncoding.XOR:
      case ChunkEncoding.XOR2:
        s.numFloatSamples += samples
        break
      case ChunkEncoding.Histogram:
      case ChunkEncoding.FloatHistogram:
      case ChunkEncoding.HistogramST:
      case ChunkEncoding.FloatHistogramST:
        s.numHistogramSamples += samples
        break
    }
  }
}
