/**
 * Writes a block's `index` in format v2 (prometheus/tsdb/docs/format/index.md, tsdb/index/
 * index.go `Writer`), the layout Prometheus 3 writes:
 *
 *   header (magic 0xBAAAD700, version 2) | symbols | series (16-byte aligned) | postings
 *   (4-byte aligned lists) | postings offset table | TOC
 *
 * Like Prometheus 3 no label indices are written (readers of v2 use the postings offset table;
 * the TOC's label index offsets point at the end of the series and of the postings, as
 * upstream's do). Every section, series entry and list carries its CRC32-C.
 *
 * The symbol table must precede the series, but the symbols are known only once every series
 * has been seen. Upstream's compactor gets them from its source blocks first; this writer
 * takes series from any sorted stream, so it makes two passes: addSeries() checks each series
 * and appends it to a temp file with its strings as numbers in first-seen order (the strings
 * themselves are interned once); finish() sorts the symbols, writes them, and streams the temp
 * file back into the series section with the final symbol numbers, collecting the postings.
 * Memory is the distinct strings plus the postings (8 bytes per label pair of each series in
 * one pooled array, chained per pair), never the samples or the chunks.
 */
import {open, rm, type FileHandle} from 'node:fs/promises'
import {BadDataError} from '../../errors.js'
import {compareLabels, compareStrings, labelsToString, type Labels} from '../../labels/labels.js'
import {Decbuf, type FileContext} from '../decbuf.js'
import {INDEX_FORMAT_V2, INDEX_MAGIC} from '../toc.js'
import {Encbuf} from './encbuf.js'
import {FileWriter} from './file-writer.js'

/** A chunk's entry in the index: its time range (inclusive) and its ref in the segments. */
export interface ChunkMeta {
  minTime: number
  maxTime: number
  ref: number
}

export interface IndexWriteResult {
  /** Bytes of the index file. */
  size: number
  series: number
  symbols: number
  /** Largest series entry (length field to CRC): meta.json's index_stats.series_max_size. */
  seriesMaxSize: number
}

const SERIES_ALIGN = 16
const POSTINGS_ALIGN = 4
const MAX_U32 = 0xffffffff
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Times the chunk metas can carry: their zig-zag varint must stay a safe integer. */
function isBlockTime(t: number): boolean {
  return Number.isSafeInteger(t) && t < 2 ** 52 && t >= -(2 ** 52)
}

/** Growable Uint32Array. */
class U32Vec {
  a = new Uint32Array(1024)
  n = 0
  push(v: number): number {
    if (this.n === this.a.length) {
      const b = new Uint32Array(this.a.length * 2)
      b.set(this.a)
      this.a = b
    }
    this.a[this.n] = v
    return this.n++
  }
}

/**
 * Postings as chains in one pool: entry i is (series id, next entry), each pair keeps its
 * first and last entry. No array per pair: a block with a unique label per series has as many
 * pairs as series.
 */
class PostingsPool {
  private readonly ids = new U32Vec()
  private readonly next = new U32Vec()
  private readonly heads = new U32Vec()
  private readonly tails = new U32Vec()
  private readonly counts = new U32Vec()

  newPair(): number {
    this.heads.push(MAX_U32)
    this.tails.push(MAX_U32)
    return this.counts.push(0)
  }

  add(pair: number, id: number): void {
    const e = this.ids.push(id)
    this.next.push(MAX_U32)
    const t = this.tails.a[pair]!
    if (t === MAX_U32) this.heads.a[pair] = e
    else this.next.a[t] = e
    this.tails.a[pair] = e
    this.counts.a[pair]!++
  }

  count(pair: number): number {
    return this.counts.a[pair]!
  }

  *postingsOf(pair: number): IterableIterator<number> {
    for (let e = this.heads.a[pair]!; e !== MAX_U32; e = this.next.a[e]!) yield this.ids.a[e]!
  }
}

/**
 * (name symbol, value symbol) → postings pair: a map per name, keyed by small integers (a
 * single map keyed by name * 2^k + value would hash heap numbers, which is slower).
 */
class PairIndex {
  private readonly byName = new Map<number, Map<number, number>>()

  constructor(private readonly pool: PostingsPool) {}

  get(name: number, value: number): number {
    let values = this.byName.get(name)
    if (!values) this.byName.set(name, (values = new Map()))
    let p = values.get(value)
    if (p === undefined) values.set(value, (p = this.pool.newPair()))
    return p
  }

  /** [name, [[value, pair]...]] by name then value (symbol numbers are in string order). */
  sorted(): [number, [number, number][]][] {
    const out = [...this.byName].map(([name, values]): [number, [number, number][]] => [name, [...values].sort((a, b) => a[0] - b[0])])
    return out.sort((a, b) => a[0] - b[0])
  }
}

export class IndexWriter {
  private readonly symbolIds = new Map<string, number>()
  private readonly symbolList: string[] = []
  private readonly rec = new Encbuf(4096)
  private readonly head = new Encbuf(16)
  private lastLabels: Labels | undefined
  private lastRef = 0
  private seriesCount = 0
  private done = false

  private constructor(
    readonly file: string,
    private readonly tmpFile: string,
    private readonly out: FileWriter,
    private readonly tmp: FileWriter,
  ) {}

  /** Creates `file` and its temp series file `file` + `_tmp_series`. */
  static async create(file: string): Promise<IndexWriter> {
    const tmpFile = `${file}_tmp_series`
    const out = await FileWriter.create(file)
    const tmp = await FileWriter.create(tmpFile).catch(async (e: unknown) => {
      await out.abort()
      throw e
    })
    const w = new IndexWriter(file, tmpFile, out, tmp)
    // "" is a symbol of every Prometheus block: the head's postings hold the all-postings key
    // ("", "") and its symbols are theirs (tsdb/index/postings.go MemPostings.Symbols), and a
    // compaction carries its sources' symbols. Kept, so our index is byte for byte Prometheus's.
    w.intern('')
    const h = Buffer.alloc(5)
    h.writeUInt32BE(INDEX_MAGIC, 0)
    h[4] = INDEX_FORMAT_V2
    await out.write(h)
    return w
  }

  /**
   * Adds the next series. Series must come in label order (labels.Compare), each label set
   * sorted by name with unique names and no empty name or value (Prometheus treats an empty
   * value as an absent label; a block holding one is not what any producer writes), chunks in
   * time order without overlap, refs ascending over the block.
   * @throws BadDataError for input that breaks these rules; nothing is written for it.
   */
  async addSeries(labels: Labels, chunks: readonly ChunkMeta[]): Promise<void> {
    if (this.done) throw new Error('index writer: addSeries after finish')
    const where = (): string => labelsToString(labels)
    if (labels.length === 0) throw new BadDataError('index writer: series with an empty label set')
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i]!
      if (l.name === '') throw new BadDataError(`index writer: series ${where()} has an empty label name`)
      if (l.value === '') throw new BadDataError(`index writer: series ${where()} has an empty value for label ${JSON.stringify(l.name)}`)
      if (LONE_SURROGATE.test(l.name) || LONE_SURROGATE.test(l.value)) throw new BadDataError(`index writer: series ${where()} has a label that is not valid UTF-8`)
      if (i > 0 && compareStrings(labels[i - 1]!.name, l.name) >= 0) throw new BadDataError(`index writer: labels of series ${where()} are not sorted by name or have a duplicate name`)
    }
    if (this.lastLabels && compareLabels(this.lastLabels, labels) >= 0) {
      throw new BadDataError(`index writer: out-of-order series added with label set ${where()}, last label set ${labelsToString(this.lastLabels)}`)
    }
    let lastRef = this.lastRef
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!
      if (!isBlockTime(c.minTime) || !isBlockTime(c.maxTime)) throw new BadDataError(`index writer: series ${where()}: chunk times ${c.minTime}, ${c.maxTime} are not integers within ±2^52 ms`)
      if (c.maxTime < c.minTime) throw new BadDataError(`index writer: series ${where()}: chunk maxT ${c.maxTime} is less than minT ${c.minTime}`)
      if (i > 0 && c.minTime <= chunks[i - 1]!.maxTime) throw new BadDataError(`index writer: series ${where()}: chunk minT ${c.minTime} is not higher than previous chunk maxT ${chunks[i - 1]!.maxTime}`)
      if (c.ref < lastRef) throw new BadDataError(`index writer: series ${where()}: unsorted chunk reference ${c.ref}, previous ${lastRef}`)
      lastRef = c.ref
    }
    const r = this.rec
    r.reset()
    r.putUvarint(labels.length)
    for (const l of labels) {
      r.putUvarint(this.intern(l.name))
      r.putUvarint(this.intern(l.value))
    }
    r.putUvarint(chunks.length)
    for (const c of chunks) {
      r.putVarint(c.minTime)
      r.putUvarint(c.maxTime - c.minTime)
      r.putUvarint(c.ref)
    }
    this.head.reset()
    this.head.putUvarint(r.len)
    await this.tmp.writeEnc(this.head)
    await this.tmp.writeEnc(r)
    this.lastLabels = labels
    this.lastRef = lastRef
    this.seriesCount++
  }

  private intern(s: string): number {
    let id = this.symbolIds.get(s)
    if (id === undefined) {
      id = this.symbolList.length
      this.symbolIds.set(s, id)
      this.symbolList.push(s)
    }
    return id
  }

  /** Writes symbols, series, postings, the postings offset table and the TOC; closes the file. */
  async finish(): Promise<IndexWriteResult> {
    if (this.done) throw new Error('index writer: finish called twice')
    this.done = true
    await this.tmp.close()
    const out = this.out
    // Symbols, sorted as Go strings (bytewise); remap[first-seen id] = position in the table.
    const sorted = sortSymbols(this.symbolList)
    if (sorted.length > MAX_U32) throw new BadDataError(`index writer: ${sorted.length} symbols do not fit the symbol table`)
    const remap = new Uint32Array(sorted.length)
    for (let i = 0; i < sorted.length; i++) remap[this.symbolIds.get(sorted[i]!)!] = i
    this.symbolIds.clear()
    this.symbolList.length = 0

    const tocSymbols = out.pos
    const e = this.rec
    e.reset()
    e.putBE32(0) // length, patched below
    e.putBE32(sorted.length)
    let crc = e.crc(0, 4)
    await out.writeEnc(e)
    e.reset()
    for (let i = 0; i < sorted.length; i++) {
      e.putUvarintStr(sorted[i]!)
      if (e.len >= 1 << 16) {
        crc = e.crc(crc)
        await out.writeEnc(e)
        e.reset()
      }
    }
    crc = e.crc(crc)
    await out.writeEnc(e)
    const symLen = out.pos - tocSymbols - 4
    if (symLen > MAX_U32) throw new BadDataError(`index writer: symbol table of ${symLen} bytes exceeds 4 GiB`)
    const lenBuf = Buffer.allocUnsafe(4)
    lenBuf.writeUInt32BE(symLen, 0)
    await out.writeAt(lenBuf, tocSymbols)
    const crcBuf = Buffer.allocUnsafe(4)
    crcBuf.writeUInt32BE(crc, 0)
    await out.write(crcBuf)

    // Series, from the temp file, with postings collected on the way.
    const tocSeries = out.pos
    const pool = new PostingsPool()
    const all = pool.newPair()
    const pairs = new PairIndex(pool)
    let seriesMax = 0
    const ctx: FileContext = {block: '', file: this.tmpFile}
    const body = new Encbuf(4096)
    const entry = new Encbuf(4096)
    const tmpIn = await open(this.tmpFile, 'r')
    try {
      for await (const rec of records(tmpIn, ctx)) {
        const start = out.pos + ((SERIES_ALIGN - (out.pos % SERIES_ALIGN)) % SERIES_ALIGN)
        const id = start / SERIES_ALIGN
        if (id > MAX_U32) throw new BadDataError('index writer: series section exceeds 64 GiB (series refs are 32-bit)')
        pool.add(all, id)
        const d = new Decbuf(rec, 0, ctx)
        body.reset()
        const nl = d.uvarint()
        body.putUvarint(nl)
        for (let i = 0; i < nl; i++) {
          const name = remap[d.uvarint()]!
          const value = remap[d.uvarint()]!
          body.putUvarint(name)
          body.putUvarint(value)
          pool.add(pairs.get(name, value), id)
        }
        const nc = d.uvarint()
        body.putUvarint(nc)
        let prevMaxt = 0
        let prevRef = 0
        for (let i = 0; i < nc; i++) {
          const mint = d.varint()
          const span = d.uvarint()
          const ref = d.uvarint()
          if (i === 0) {
            body.putVarint(mint)
            body.putUvarint(span)
            body.putUvarint(ref)
          } else {
            body.putUvarint(mint - prevMaxt)
            body.putUvarint(span)
            body.putVarint(ref - prevRef)
          }
          prevMaxt = mint + span
          prevRef = ref
        }
        // Padding, length, body and CRC in one write.
        entry.reset()
        entry.putZeros(start - out.pos)
        entry.putUvarint(body.len)
        entry.putEnc(body)
        entry.putBE32(body.crc(0))
        await out.writeEnc(entry)
        seriesMax = Math.max(seriesMax, out.pos - start)
      }
    } finally {
      await tmpIn.close()
      await rm(this.tmpFile, {force: true})
    }
    const tocLabelIndices = out.pos

    // Postings: the all-series list under ("", ""), then by name and value; offsets kept for the
    // table. The TOC points at the section before its alignment padding, as upstream's does.
    const tocPostings = out.pos
    await out.pad(POSTINGS_ALIGN)
    const byName = pairs.sorted()
    const offsets: number[] = []
    offsets.push(await writePostingsList(out, pool, all, e))
    for (const [, values] of byName) for (const [, pair] of values) offsets.push(await writePostingsList(out, pool, pair, e))

    // Postings offset table (no padding before it, as upstream).
    const tocPostingsTable = out.pos
    e.reset()
    e.putBE32(0)
    e.putBE32(offsets.length)
    crc = e.crc(0, 4)
    await out.writeEnc(e)
    const writeEntry = async (name: string, value: string, offset: number): Promise<void> => {
      e.reset()
      e.putUvarint(2)
      e.putUvarintStr(name)
      e.putUvarintStr(value)
      e.putUvarint(offset)
      crc = e.crc(crc)
      await out.writeEnc(e)
    }
    let o = 0
    await writeEntry('', '', offsets[o++]!)
    for (const [name, values] of byName) for (const [value] of values) await writeEntry(sorted[name]!, sorted[value]!, offsets[o++]!)
    const tableLen = out.pos - tocPostingsTable - 4
    if (tableLen > MAX_U32) throw new BadDataError(`index writer: postings offset table of ${tableLen} bytes exceeds 4 GiB`)
    lenBuf.writeUInt32BE(tableLen, 0)
    await out.writeAt(lenBuf, tocPostingsTable)
    crcBuf.writeUInt32BE(crc, 0)
    await out.write(crcBuf)

    // TOC: six offsets and their CRC.
    e.reset()
    for (const off of [tocSymbols, tocSeries, tocLabelIndices, tocPostingsTable, tocPostings, tocPostingsTable]) e.putBE64(off)
    e.putBE32(e.crc(0))
    await out.writeEnc(e)
    await out.close()
    return {size: out.pos, series: this.seriesCount, symbols: sorted.length, seriesMaxSize: seriesMax}
  }

  /** Closes and removes both files. */
  async abort(): Promise<void> {
    this.done = true
    await this.out.abort()
    await this.tmp.abort()
    await rm(this.tmpFile, {force: true})
    await rm(this.file, {force: true})
  }
}

/**
 * Strings in Go's order (bytewise UTF-8). The engine's own sort compares UTF-16 code units,
 * which is the same order unless a string has a character from U+D800 up (a surrogate pair
 * against U+E000..U+FFFF): only then the slower comparator is needed.
 */
function sortSymbols(list: readonly string[]): string[] {
  const out = [...list]
  const high = /[\uD800-\uFFFF]/
  if (out.some((s) => high.test(s))) return out.sort(compareStrings)
  return out.sort()
}

/**
 * One postings list at a 4-byte boundary: `len | #entries | ids | CRC32-C`, written in slices
 * so a list of millions of series is not encoded in one buffer. Returns its offset.
 */
async function writePostingsList(out: FileWriter, pool: PostingsPool, pair: number, e: Encbuf): Promise<number> {
  await out.pad(POSTINGS_ALIGN)
  const at = out.pos
  const n = pool.count(pair)
  e.reset()
  e.putBE32(4 + 4 * n)
  e.putBE32(n)
  let crc = e.crc(0, 4)
  await out.writeEnc(e)
  e.reset()
  for (const id of pool.postingsOf(pair)) {
    e.putBE32(id)
    if (e.len >= 1 << 16) {
      crc = e.crc(crc)
      await out.writeEnc(e)
      e.reset()
    }
  }
  crc = e.crc(crc)
  e.putBE32(crc)
  await out.writeEnc(e)
  return at
}

/** The temp file's records (`uvarint len | body`), read sequentially in 1 MiB pieces. */
async function* records(fh: FileHandle, ctx: FileContext): AsyncGenerator<Uint8Array> {
  let buf = Buffer.allocUnsafe(1 << 20)
  let start = 0
  let end = 0
  let filePos = 0
  let eof = false
  const fill = async (): Promise<void> => {
    if (start > 0) {
      buf.copy(buf, 0, start, end)
      end -= start
      start = 0
    }
    if (end === buf.length) {
      const bigger = Buffer.allocUnsafe(buf.length * 2)
      buf.copy(bigger, 0, 0, end)
      buf = bigger
    }
    const {bytesRead} = await fh.read(buf, end, buf.length - end, filePos)
    filePos += bytesRead
    end += bytesRead
    if (bytesRead === 0) eof = true
  }
  for (;;) {
    if (start === end) {
      if (eof) return
      await fill()
      continue
    }
    // The length varint, then the body; refill when either is cut by the buffer's end.
    let len = 0
    let mul = 1
    let p = start
    let complete = false
    while (p < end) {
      const x = buf[p++]!
      len += (x & 0x7f) * mul
      if (x < 0x80) {
        complete = true
        break
      }
      mul *= 128
    }
    if (!complete || p + len > end) {
      if (eof) throw new Decbuf(buf, filePos - end, ctx, start, end).fail('temp series file truncated')
      await fill()
      continue
    }
    yield buf.subarray(p, p + len)
    start = p + len
  }
}
