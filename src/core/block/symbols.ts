/**
 * The index's symbol table (prometheus/tsdb/index/index.go `Symbols`):
 * `len(4B) | #symbols(4B) | {uvarint strlen, bytes}* | CRC32-C`, every label name and value once,
 * sorted. Series refer to symbols by number (v2: the position in the table; v1: the byte
 * offset in the index file).
 *
 * Kept as the raw bytes plus the offset of every 32nd symbol (Prometheus's symbolFactor), so
 * a block with millions of distinct values costs its table's bytes and 4 bytes per 32
 * symbols, not one JS string each. Lookups walk at most 31 entries from a sample; a small
 * direct-mapped cache serves the hot symbols (names, common values) of series decoding, as
 * Thanos's BinaryReader does with its valueSymbols cache.
 */
import {crc32cOf, Decbuf, readBE32, utf8, type FileContext} from './decbuf.js'
import {INDEX_FORMAT_V1} from './toc.js'

const SAMPLE_EVERY = 32
const CACHE_SIZE = 4096

export class SymbolTable {
  private readonly cacheRef = new Float64Array(CACHE_SIZE).fill(-1)
  private readonly cacheStr: string[] = new Array<string>(CACHE_SIZE).fill('')

  private constructor(
    private readonly raw: Uint8Array,
    /** File offset of raw[0] (the section's len field). */
    private readonly base: number,
    private readonly version: number,
    readonly count: number,
    /** raw offset of symbol i*32. */
    private readonly samples: Uint32Array,
    /** End of the symbol bytes in raw (before the CRC). */
    private readonly dataEnd: number,
    private readonly ctx: FileContext,
  ) {}

  /**
   * Parses and checks the section at raw[0] (`base` = its file offset); `raw` may extend past
   * the section (padding before the series). Walks every symbol once to sample offsets.
   */
  static parse(raw: Uint8Array, base: number, version: number, ctx: FileContext): SymbolTable {
    const d = new Decbuf(raw, base, ctx)
    const len = d.be32()
    d.need(len + 4, 'symbol table')
    const dataEnd = 4 + len
    if (crc32cOf(raw, 4, dataEnd) !== readBE32(raw, dataEnd)) d.fail('symbol table: CRC32-C mismatch', 0)
    const body = new Decbuf(raw, base, ctx, 4, dataEnd)
    const count = body.be32()
    // Each symbol takes at least one byte: a count above the bytes left is corrupt, and checking
    // it first bounds the sample array by the section size.
    if (count > body.remaining()) body.fail(`symbol table: ${count} symbols cannot fit in ${body.remaining()} bytes`, 4)
    const samples = new Uint32Array(Math.ceil(count / SAMPLE_EVERY))
    for (let i = 0; i < count; i++) {
      if (i % SAMPLE_EVERY === 0) samples[i / SAMPLE_EVERY] = body.pos
      body.uvarintBytesStart()
    }
    if (body.remaining() !== 0) body.fail(`symbol table: ${body.remaining()} bytes after the last symbol`)
    return new SymbolTable(raw.subarray(0, dataEnd + 4), base, version, count, samples, dataEnd, ctx)
  }

  /** Bytes held in memory. */
  size(): number {
    return this.raw.byteLength + this.samples.byteLength
  }

  lookup(ref: number): string {
    const slot = ref % CACHE_SIZE
    if (this.cacheRef[slot] === ref) return this.cacheStr[slot]!
    const s = this.decode(ref)
    this.cacheRef[slot] = ref
    this.cacheStr[slot] = s
    return s
  }

  private decode(ref: number): string {
    const d = new Decbuf(this.raw, this.base, this.ctx, 8, this.dataEnd)
    if (this.version === INDEX_FORMAT_V1) {
      // v1 references are file offsets of the symbol's length varint.
      const local = ref - this.base
      if (local < 8 || local >= this.dataEnd) d.fail(`symbol reference ${ref} outside the symbol table`, 0)
      d.pos = local
    } else {
      if (ref >= this.count) d.fail(`unknown symbol ${ref} (table has ${this.count})`, 0)
      d.pos = this.samples[Math.floor(ref / SAMPLE_EVERY)]!
      for (let i = ref % SAMPLE_EVERY; i > 0; i--) d.uvarintBytesStart()
    }
    const start = d.uvarintBytesStart()
    return utf8(this.raw, start, d.pos)
  }

  /** Every symbol in order (for tests and tools; allocates one string each). */
  *all(): IterableIterator<string> {
    const d = new Decbuf(this.raw, this.base, this.ctx, 8, this.dataEnd)
    for (let i = 0; i < this.count; i++) {
      const start = d.uvarintBytesStart()
      yield utf8(this.raw, start, d.pos)
    }
  }
}
