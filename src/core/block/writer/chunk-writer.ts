/**
 * Chunk segment files `chunks/000001`, `000002`, ... (prometheus/tsdb/docs/format/chunks.md,
 * tsdb/chunks/chunks.go `Writer`). A segment starts with `magic 0x85BD40DD | version 1 | 3 zero
 * bytes`; a chunk record is `uvarint len | encoding | data | CRC32-C(encoding + data)`. The ref
 * of a chunk is `segment index << 32 | offset`, the index 0-based over the files written.
 *
 * Where segments are cut follows Writer.WriteChunks exactly, so our segments are upstream's
 * byte for byte: a series' chunks are split into batches, each record counted with its length
 * field at the maximum of 5 bytes; the first batch fills the current segment up to the size
 * (bytes really written plus the counted batch), each further batch starts a new segment; a
 * segment never holds less than one chunk, so a chunk larger than the size gets one of its
 * own. Records are streamed to the file; nothing of a chunk is kept after it is written.
 */
import path from 'node:path'
import {mkdir} from 'node:fs/promises'
import {chunkRef, segmentFileName, SEGMENT_FORMAT_V1, SEGMENT_HEADER_LEN, SEGMENT_MAGIC} from '../chunks-reader.js'
import {crc32cUpdate} from '../../remote-read/crc32c.js'
import {Encbuf} from './encbuf.js'
import {FileWriter} from './file-writer.js'

/** chunks.DefaultChunkSegmentSize. */
export const DEFAULT_SEGMENT_SIZE = 512 * 1024 * 1024
/** binary.MaxVarintLen32: what upstream reserves for a record's length field. */
const MAX_LENGTH_FIELD = 5

export interface SegmentChunk {
  encoding: number
  data: Uint8Array
}

export interface SegmentInfo {
  /** File name inside chunks/. */
  name: string
  size: number
}

export class ChunkSegmentWriter {
  private current: FileWriter | undefined
  private readonly done: SegmentInfo[] = []
  private readonly head = new Encbuf(16)
  private readonly crc = Buffer.allocUnsafe(4)
  private maxRecord = 0

  /** @param dir the block's chunks/ directory (created on the first chunk). */
  constructor(
    readonly dir: string,
    readonly segmentSize = DEFAULT_SEGMENT_SIZE,
  ) {
    if (!Number.isSafeInteger(segmentSize) || segmentSize <= 0) throw new RangeError(`chunk segment size must be a positive integer, got ${segmentSize}`)
  }

  /** Appends one series' chunks (in order); returns their refs. */
  async writeSeries(chunks: readonly SegmentChunk[]): Promise<number[]> {
    // Batch boundaries as WriteChunks computes them: index of each batch's first chunk.
    const starts: number[] = [0]
    let batchSize = 0
    let firstBatch = true
    const written = this.current?.pos ?? 0
    for (let i = 0; i < chunks.length; i++) {
      const size = MAX_LENGTH_FIELD + 1 + chunks[i]!.data.length + 4
      batchSize += size
      let cut = i !== 0 && batchSize + SEGMENT_HEADER_LEN > this.segmentSize
      if (firstBatch && written > SEGMENT_HEADER_LEN) {
        cut = batchSize + written > this.segmentSize
        if (cut) firstBatch = false
      }
      if (cut) {
        starts.push(i)
        batchSize = size
      }
    }
    if (!this.current) await this.cut()
    const refs: number[] = []
    for (let b = 0; b < starts.length; b++) {
      const end = b + 1 < starts.length ? starts[b + 1]! : chunks.length
      for (let i = starts[b]!; i < end; i++) refs.push(await this.write(chunks[i]!.encoding, chunks[i]!.data))
      // A new segment only when more chunks follow.
      if (b + 1 < starts.length) await this.cut()
    }
    return refs
  }

  /** Appends one record to the current segment. */
  private async write(encoding: number, data: Uint8Array): Promise<number> {
    const f = this.current!
    const ref = chunkRef(this.done.length, f.pos)
    const start = f.pos
    const h = this.head
    h.reset()
    h.putUvarint(data.length)
    h.putByte(encoding)
    // The CRC covers the encoding byte and the data, not the length.
    const crc = crc32cUpdate(h.crc(0, h.len - 1), data)
    await f.writeEnc(h)
    await f.write(data)
    this.crc.writeUInt32BE(crc, 0)
    await f.write(this.crc)
    this.maxRecord = Math.max(this.maxRecord, f.pos - start)
    return ref
  }

  private async cut(): Promise<void> {
    await this.finishCurrent()
    if (this.done.length === 0) await mkdir(this.dir, {recursive: true})
    const f = await FileWriter.create(path.join(this.dir, segmentFileName(this.done.length + 1)))
    const header = Buffer.alloc(SEGMENT_HEADER_LEN)
    header.writeUInt32BE(SEGMENT_MAGIC, 0)
    header[4] = SEGMENT_FORMAT_V1
    await f.write(header)
    this.current = f
  }

  private async finishCurrent(): Promise<void> {
    const f = this.current
    if (!f) return
    this.current = undefined
    await f.close()
    this.done.push({name: path.basename(f.path), size: f.pos})
  }

  /** Closes the last segment; returns every segment written, in order. */
  async close(): Promise<SegmentInfo[]> {
    await this.finishCurrent()
    return [...this.done]
  }

  /** Largest record written (length field to CRC): meta.json's index_stats.chunk_max_size. */
  maxRecordSize(): number {
    return this.maxRecord
  }

  async abort(): Promise<void> {
    await this.current?.abort()
    this.current = undefined
  }
}
