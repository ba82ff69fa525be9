/**
 * The postings offset table (prometheus/tsdb/docs/format/index.md): for every label pair, where
 * its postings list starts. `len(4B) | #entries(4B) | entry* | CRC32-C`, entry =
 * `uvarint 2 | uvarint len, name | uvarint len, value | uvarint64 offset`, sorted by name then
 * value (bytewise). The first entry is ("", ""), the list of all series.
 *
 * With the symbol table this is the "index-header" the store gateway keeps per block
 * (thanos-io/thanos pkg/block/indexheader). Like Thanos's BinaryReader it is kept as the raw
 * bytes plus, per label name, the position of every 32nd value; a value is found by binary
 * search over the samples and a walk of at most 31 entries. Memory is the table's bytes plus
 * 4 bytes per 32 values plus one small record per label name.
 *
 * A list's bytes end before the next list starts (v2 writes lists in table order), so the
 * next entry's offset bounds the read; the last list is bounded by the end of the postings
 * section. Old v1 indexes may have an unsorted table (Prometheus's Reader says so); those are
 * re-encoded sorted at load and their lists bounded through a sorted copy of the offsets.
 */
import {crc32cOf, Decbuf, readBE32, utf8, type FileContext} from './decbuf.js'
import {INDEX_FORMAT_V1} from './toc.js'

const SAMPLE_EVERY = 32

/** File byte range of one postings list: [start, end) holds `len | #entries | refs | CRC` and maybe padding. */
export interface PostingsRange {
  start: number
  end: number
}

export class PostingsOffsetTable {
  private readonly nameIndex = new Map<string, number>()
  // Scratch results of readEntry (no object per entry walked).
  private eValueStart = 0
  private eValueEnd = 0
  private eOffset = 0
  private eNext = 0

  private constructor(
    private readonly raw: Buffer,
    private readonly base: number,
    private readonly dataEnd: number,
    private readonly ctx: FileContext,
    private readonly nameList: string[],
    private readonly nameCount: Uint32Array,
    private readonly nameSampleStart: Uint32Array,
    private readonly samples: Uint32Array,
    /** End of the postings section: bounds the last list. */
    private readonly postingsEnd: number,
    /** v1 only: all list offsets sorted, to bound a list by its successor in the file. */
    private readonly sortedOffsets: Float64Array | undefined,
  ) {
    nameList.forEach((n, i) => this.nameIndex.set(n, i))
  }

  /**
   * Parses and checks the table at raw[0] (file offset `base`); lists must lie in
   * [postingsStart, postingsEnd).
   */
  static parse(raw: Uint8Array, base: number, version: number, postingsStart: number, postingsEnd: number, ctx: FileContext): PostingsOffsetTable {
    const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)
    const d = new Decbuf(buf, base, ctx)
    const len = d.be32()
    d.need(len + 4, 'postings offset table')
    const dataEnd = 4 + len
    if (crc32cOf(buf, 4, dataEnd) !== readBE32(buf, dataEnd)) d.fail('postings offset table: CRC32-C mismatch', 0)
    const parsed = scan(buf, base, dataEnd, postingsStart, postingsEnd, version === INDEX_FORMAT_V1, ctx)
    if (parsed === 'unsorted') {
      const sorted = resort(buf, base, dataEnd, ctx)
      const again = scan(sorted, base, sorted.length - 4, postingsStart, postingsEnd, true, ctx)
      if (again === 'unsorted') throw new Error('unreachable: re-sorted table is unsorted')
      return new PostingsOffsetTable(sorted, base, sorted.length - 4, ctx, again.names, again.counts, again.sampleStarts, again.samples, postingsEnd, again.sortedOffsets)
    }
    return new PostingsOffsetTable(buf.subarray(0, dataEnd + 4), base, dataEnd, ctx, parsed.names, parsed.counts, parsed.sampleStarts, parsed.samples, postingsEnd, parsed.sortedOffsets)
  }

  /** Bytes held in memory. */
  size(): number {
    return this.raw.byteLength + this.samples.byteLength + this.nameCount.byteLength * 2 + (this.sortedOffsets?.byteLength ?? 0)
  }

  /** Label names in order, including "" (the all-postings key) when present. */
  names(): readonly string[] {
    return this.nameList
  }

  hasName(name: string): boolean {
    return this.nameIndex.has(name)
  }

  valueCount(name: string): number {
    const k = this.nameIndex.get(name)
    return k === undefined ? 0 : this.nameCount[k]!
  }

  /** All values of `name`, sorted (bytewise); empty for an unknown name. */
  values(name: string): string[] {
    const k = this.nameIndex.get(name)
    if (k === undefined) return []
    const out = new Array<string>(this.nameCount[k]!)
    let p = this.samples[this.nameSampleStart[k]!]!
    for (let i = 0; i < out.length; i++) {
      this.readEntry(p)
      out[i] = utf8(this.raw, this.eValueStart, this.eValueEnd)
      p = this.eNext
    }
    return out
  }

  /** Where the list of (name, value) lies, or undefined when the pair is not in the block. */
  lookup(name: string, value: string): PostingsRange | undefined {
    const k = this.nameIndex.get(name)
    if (k === undefined) return undefined
    const want = Buffer.from(value)
    const s0 = this.nameSampleStart[k]!
    const ns = k + 1 < this.nameSampleStart.length ? this.nameSampleStart[k + 1]! - s0 : this.samples.length - s0
    // Last sample whose value <= want.
    let lo = 0
    let hi = ns - 1
    let j = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      this.readEntry(this.samples[s0 + mid]!)
      if (this.compareValue(want) <= 0) {
        j = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    if (j < 0) return undefined
    let p = this.samples[s0 + j]!
    const left = Math.min(SAMPLE_EVERY, this.nameCount[k]! - j * SAMPLE_EVERY)
    for (let i = 0; i < left; i++) {
      this.readEntry(p)
      const c = this.compareValue(want)
      if (c === 0) return {start: this.eOffset, end: this.listEnd(this.eOffset, this.eNext)}
      if (c > 0) return undefined
      p = this.eNext
    }
    return undefined
  }

  /** Value of the last read entry compared with `want`: <0, 0, >0. */
  private compareValue(want: Buffer): number {
    return this.raw.compare(want, 0, want.length, this.eValueStart, this.eValueEnd)
  }

  private listEnd(offset: number, nextEntry: number): number {
    if (this.sortedOffsets) {
      const a = this.sortedOffsets
      let lo = 0
      let hi = a.length
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if (a[mid]! <= offset) lo = mid + 1
        else hi = mid
      }
      return lo < a.length ? a[lo]! : this.postingsEnd
    }
    if (nextEntry >= this.dataEnd) return this.postingsEnd
    this.readEntry(nextEntry)
    return this.eOffset
  }

  /** Decodes the entry at raw offset p into the scratch fields (validated at load). */
  private readEntry(p: number): void {
    const d = new Decbuf(this.raw, this.base, this.ctx, p, this.dataEnd)
    d.uvarint()
    d.uvarintBytesStart()
    this.eValueStart = d.uvarintBytesStart()
    this.eValueEnd = d.pos
    this.eOffset = d.uvarint()
    this.eNext = d.pos
  }
}

interface Scanned {
  names: string[]
  counts: Uint32Array
  sampleStarts: Uint32Array
  samples: Uint32Array
  sortedOffsets: Float64Array | undefined
}

/** One pass over the entries: validate, group by name, sample. 'unsorted' only when allowed (v1). */
function scan(buf: Buffer, base: number, dataEnd: number, postingsStart: number, postingsEnd: number, v1: boolean, ctx: FileContext): Scanned | 'unsorted' {
  const d = new Decbuf(buf, base, ctx, 4, dataEnd)
  const count = d.be32()
  // An entry takes at least 4 bytes (key count, two empty strings' lengths, offset: the
  // all-postings entry of an empty index is that small): bound the count before trusting it.
  if (count * 4 > d.remaining()) d.fail(`postings offset table: ${count} entries cannot fit in ${d.remaining()} bytes`, 4)
  const names: string[] = []
  const counts: number[] = []
  const sampleStarts: number[] = []
  const samples: number[] = []
  const offsets = v1 ? new Float64Array(count) : undefined
  let prevNameStart = -1
  let prevNameEnd = -1
  let prevValueStart = -1
  let prevValueEnd = -1
  let prevOffset = -1
  let valueIdx = 0
  for (let i = 0; i < count; i++) {
    const entry = d.pos
    const keys = d.uvarint()
    if (keys !== 2) d.fail(`postings offset table: entry with ${keys} keys, want 2`, entry)
    const nameStart = d.uvarintBytesStart()
    const nameEnd = d.pos
    const valueStart = d.uvarintBytesStart()
    const valueEnd = d.pos
    const off = d.uvarint()
    if (off < postingsStart || off + 8 > postingsEnd) d.fail(`postings offset table: list offset ${off} outside the postings section`, entry)
    if (offsets) offsets[i] = off
    let newName = true
    if (prevNameStart >= 0) {
      // compare(previous, this): the table must be strictly increasing by (name, value).
      const byName = buf.compare(buf, nameStart, nameEnd, prevNameStart, prevNameEnd)
      const order = byName !== 0 ? byName : buf.compare(buf, valueStart, valueEnd, prevValueStart, prevValueEnd)
      if (order >= 0) {
        if (v1) return 'unsorted'
        d.fail('postings offset table: entries out of order', entry)
      }
      newName = byName !== 0
    }
    if (!v1 && off <= prevOffset) d.fail('postings offset table: list offsets not increasing', entry)
    if (newName) {
      names.push(utf8(buf, nameStart, nameEnd))
      counts.push(0)
      sampleStarts.push(samples.length)
      valueIdx = 0
    }
    if (valueIdx % SAMPLE_EVERY === 0) samples.push(entry)
    counts[counts.length - 1] = counts[counts.length - 1]! + 1
    valueIdx++
    prevNameStart = nameStart
    prevNameEnd = nameEnd
    prevValueStart = valueStart
    prevValueEnd = valueEnd
    prevOffset = off
  }
  if (d.remaining() !== 0) d.fail(`postings offset table: ${d.remaining()} bytes after the last entry`)
  return {
    names,
    counts: Uint32Array.from(counts),
    sampleStarts: Uint32Array.from(sampleStarts),
    samples: Uint32Array.from(samples),
    sortedOffsets: offsets?.sort(),
  }
}

/** A v1 table re-encoded in (name, value) order; the result has the same layout (len, count, entries, zero CRC). */
function resort(buf: Buffer, base: number, dataEnd: number, ctx: FileContext): Buffer {
  const d = new Decbuf(buf, base, ctx, 4, dataEnd)
  const count = d.be32()
  const entries: {name: Buffer; value: Buffer; raw: Buffer}[] = []
  for (let i = 0; i < count; i++) {
    const start = d.pos
    d.uvarint()
    const ns = d.uvarintBytesStart()
    const ne = d.pos
    const vs = d.uvarintBytesStart()
    const ve = d.pos
    d.uvarint()
    entries.push({name: buf.subarray(ns, ne), value: buf.subarray(vs, ve), raw: buf.subarray(start, d.pos)})
  }
  entries.sort((a, b) => Buffer.compare(a.name, b.name) || Buffer.compare(a.value, b.value))
  const body = Buffer.concat(entries.map((e) => e.raw))
  const out = Buffer.alloc(8 + body.length + 4)
  out.writeUInt32BE(4 + body.length, 0)
  out.writeUInt32BE(count, 4)
  body.copy(out, 8)
  return out
}
