/**
 * Bad input: real promtool blocks, damaged on purpose (flipped bytes in every section, cut
 * files, wrong magic and versions, impossible lengths), and buckets whose reads fail. Every
 * case must end in a typed error naming the block, the file and the offset, without hanging
 * or reading (allocating) more than the file.
 */
import assert from 'node:assert/strict'
import {cp, open, rm, truncate} from 'node:fs/promises'
import path from 'node:path'
import {BlockReader, type BlockSeries} from '../../../src/core/block/block-reader.js'
import {BlockCorruptionError, UnsupportedBlockFormatError} from '../../../src/core/block/errors.js'
import {splitChunkRef} from '../../../src/core/block/chunks-reader.js'
import {errorKind} from '../../../src/core/errors.js'
import {Matcher, MatchType} from '../../../src/core/labels/matcher.js'
import {isNotFound, type Bucket} from '../../../src/core/objstore/bucket.js'
import {FilesystemBucket} from '../../../src/core/objstore/filesystem.js'
import {prometheus3} from '../../helpers/peers.js'
import {CountingBucket, createBlocks, datasetOpenMetrics, tempDir} from './fixtures.js'

const GAUGE = [new Matcher(MatchType.EQ, '__name__', 'test_gauge')]
const GAPPY = [new Matcher(MatchType.EQ, '__name__', 'gappy')]

async function drain(it: AsyncIterable<BlockSeries>): Promise<BlockSeries[]> {
  const out: BlockSeries[] = []
  for await (const s of it) out.push(s)
  return out
}

function corruption(id: string, file: string, offset: number | undefined, reason?: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof BlockCorruptionError, `not a BlockCorruptionError: ${e}`)
    assert.equal(e.block, id)
    assert.equal(e.file, file)
    if (offset !== undefined) assert.equal(e.offset, offset, e.message)
    if (reason) assert.match(e.message, reason)
    assert.equal(errorKind(e), 'bad_data')
    assert.ok(e.message.includes(id) && e.message.includes(file), e.message)
    return true
  }
}

/** Overwrites bytes of a file at `at`. */
async function poke(file: string, at: number, bytes: number[] | ((old: number[]) => number[]), n = typeof bytes === 'function' ? 1 : bytes.length): Promise<void> {
  const fh = await open(file, 'r+')
  try {
    const old = Buffer.alloc(n)
    await fh.read(old, 0, n, at)
    const b = Buffer.from(typeof bytes === 'function' ? bytes([...old]) : bytes)
    await fh.write(b, 0, b.length, at)
  } finally {
    await fh.close()
  }
}

const flip = (old: number[]): number[] => old.map((x) => x ^ 0x5a)

describe('block reader on damaged blocks and failing buckets', function () {
  this.timeout(120_000)
  let dir: string
  let template: string
  let id: string
  let pristine: BlockReader
  let indexSize: number
  let n = 0

  before(async () => {
    dir = await tempDir('corrupt')
    template = path.join(dir, 'template')
    ;[id] = await createBlocks({promtool: prometheus3().promtool, sandbox: true}, datasetOpenMetrics(200), template)
    pristine = await BlockReader.open(new FilesystemBucket({directory: template}), id!)
    indexSize = pristine.index.size
  })

  after(async () => {
    if (dir) await rm(dir, {recursive: true, force: true})
  })

  /** A fresh copy of the block in its own bucket dir; returns [bucket dir, index file, chunks file]. */
  async function copy(): Promise<{root: string; index: string; chunks: string; bucket: FilesystemBucket}> {
    const root = path.join(dir, `case-${n++}`)
    await cp(path.join(template, id), path.join(root, id), {recursive: true})
    return {root, index: path.join(root, id, 'index'), chunks: path.join(root, id, 'chunks', '000001'), bucket: new FilesystemBucket({directory: root})}
  }

  it('reads the pristine copy', async () => {
    const c = await copy()
    const r = await BlockReader.open(c.bucket, id)
    assert.ok((await drain(r.series(GAUGE, r.meta.minTime, r.meta.maxTime))).length > 0)
  })

  it('truncated index: TOC checksum', async () => {
    const c = await copy()
    await truncate(c.index, indexSize - 100)
    await assert.rejects(BlockReader.open(c.bucket, id), corruption(id, 'index', indexSize - 100 - 52, /table of contents: CRC32-C mismatch/))
    await truncate(c.index, 3)
    await assert.rejects(BlockReader.open(c.bucket, id), corruption(id, 'index', 0, /too short/))
  })

  it('flipped byte in the TOC', async () => {
    const c = await copy()
    await poke(c.index, indexSize - 30, flip)
    await assert.rejects(BlockReader.open(c.bucket, id), corruption(id, 'index', indexSize - 52, /CRC32-C/))
  })

  it('flipped byte in the symbol table', async () => {
    const c = await copy()
    await poke(c.index, pristine.index.toc.symbols + 20, flip)
    await assert.rejects(BlockReader.open(c.bucket, id), corruption(id, 'index', pristine.index.toc.symbols, /symbol table: CRC32-C mismatch/))
  })

  it('flipped byte in the postings offset table', async () => {
    const c = await copy()
    await poke(c.index, pristine.index.toc.postingsTable + 30, flip)
    await assert.rejects(BlockReader.open(c.bucket, id), corruption(id, 'index', pristine.index.toc.postingsTable, /postings offset table: CRC32-C mismatch/))
  })

  it('flipped byte in one postings list: that query fails, others work', async () => {
    const c = await copy()
    const range = pristine.index.postingsTable.lookup('__name__', 'test_gauge')!
    await poke(c.index, range.start + 9, flip)
    const r = await BlockReader.open(c.bucket, id)
    await assert.rejects(drain(r.series(GAUGE, r.meta.minTime, r.meta.maxTime)), corruption(id, 'index', range.start, /postings list: CRC32-C mismatch/))
    assert.equal((await drain(r.series(GAPPY, r.meta.minTime, r.meta.maxTime))).length, 1)
  })

  it('flipped byte in a series entry', async () => {
    const c = await copy()
    const [sid] = await pristine.expandedPostings(GAPPY)
    const off = pristine.index.seriesOffset(sid!)
    await poke(c.index, off + 3, flip)
    const r = await BlockReader.open(c.bucket, id)
    await assert.rejects(drain(r.series(GAPPY, r.meta.minTime, r.meta.maxTime)), corruption(id, 'index', off, /series entry: CRC32-C mismatch/))
    assert.equal((await drain(r.series(GAUGE, r.meta.minTime, r.meta.maxTime))).length, 6)
  })

  it('flipped byte in a chunk', async () => {
    const c = await copy()
    const [entry] = await pristine.index.series(await pristine.expandedPostings(GAPPY))
    const [, off] = splitChunkRef(entry!.chunks[2]!)
    await poke(c.chunks, off + 5, flip)
    const r = await BlockReader.open(c.bucket, id)
    await assert.rejects(drain(r.series(GAPPY, r.meta.minTime, r.meta.maxTime)), corruption(id, 'chunks/000001', off, /chunk record: CRC32-C mismatch/))
    assert.equal((await drain(r.series(GAPPY, r.meta.minTime, r.meta.maxTime, {skipChunks: true}))).length, 1, 'labels are still readable')
  })

  it('wrong magic numbers', async () => {
    const c = await copy()
    await poke(c.index, 0, [0xba, 0xaa, 0xd7, 0x01])
    await assert.rejects(BlockReader.open(c.bucket, id), corruption(id, 'index', 0, /invalid magic number baaad701/))
    const d = await copy()
    await poke(d.chunks, 1, [0x00])
    const r = await BlockReader.open(d.bucket, id)
    await assert.rejects(drain(r.series(GAUGE, r.meta.minTime, r.meta.maxTime)), corruption(id, 'chunks/000001', 0, /invalid magic number 8500/))
  })

  it('index format v3 and unknown versions are refused by name', async () => {
    for (const v of [3, 0, 9]) {
      const c = await copy()
      await poke(c.index, 4, [v])
      await assert.rejects(BlockReader.open(c.bucket, id), (e: unknown) => e instanceof UnsupportedBlockFormatError && e.block === id && e.file === 'index' && e.message.includes(`version ${v}`))
    }
    const c = await copy()
    await poke(c.chunks, 4, [2])
    const r = await BlockReader.open(c.bucket, id)
    await assert.rejects(drain(r.series(GAUGE, r.meta.minTime, r.meta.maxTime)), UnsupportedBlockFormatError)
  })

  it('impossible lengths are errors, not giant reads or allocations', async () => {
    // Symbol table length beyond the section.
    let c = await copy()
    await poke(c.index, pristine.index.toc.symbols, [0xff, 0xff, 0xff, 0x00])
    await assert.rejects(BlockReader.open(c.bucket, id), corruption(id, 'index', pristine.index.toc.symbols + 4, /symbol table: needs/))
    // Postings list length beyond what follows it.
    c = await copy()
    const range = pristine.index.postingsTable.lookup('__name__', 'gappy')!
    await poke(c.index, range.start, [0x7f, 0xff, 0xff, 0xff])
    let r = await BlockReader.open(c.bucket, id)
    await assert.rejects(drain(r.series(GAPPY, r.meta.minTime, r.meta.maxTime)), corruption(id, 'index', range.start + 4, /postings list: needs/))
    // A series entry claiming 4 GiB.
    c = await copy()
    const [sid] = await pristine.expandedPostings(GAPPY)
    const off = pristine.index.seriesOffset(sid!)
    await poke(c.index, off, [0xff, 0xff, 0xff, 0xff, 0x0f])
    let counting = new CountingBucket(c.bucket)
    r = await BlockReader.open(counting, id)
    await assert.rejects(drain(r.series(GAPPY, r.meta.minTime, r.meta.maxTime)), corruption(id, 'index', off, /runs past the series section/))
    assert.ok(counting.total().getRangeBytes < 2 * indexSize)
    // A chunk record claiming 256 MiB.
    c = await copy()
    const [entry] = await pristine.index.series(await pristine.expandedPostings(GAPPY))
    const [, coff] = splitChunkRef(entry!.chunks[2]!)
    await poke(c.chunks, coff, [0xff, 0xff, 0xff, 0x7f])
    counting = new CountingBucket(c.bucket)
    r = await BlockReader.open(counting, id)
    await assert.rejects(drain(r.series(GAPPY, r.meta.minTime, r.meta.maxTime)), corruption(id, 'chunks/000001', coff, /impossible/))
    assert.ok(counting.total((k) => k.includes('/chunks/')).getRangeBytes < 100_000)
  })

  it('a truncated chunk segment', async () => {
    const c = await copy()
    const [entry] = await pristine.index.series(await pristine.expandedPostings(GAPPY))
    const chunks = entry!.chunks
    const [, last] = splitChunkRef(chunks[chunks.length - 1]!)
    await truncate(c.chunks, last + 10)
    const r = await BlockReader.open(c.bucket, id)
    await assert.rejects(drain(r.series(GAPPY, r.meta.minTime, r.meta.maxTime)), corruption(id, 'chunks/000001', last, /truncated/))
  })

  it('missing chunk segments', async () => {
    const c = await copy()
    const r = await BlockReader.open(c.bucket, id)
    await rm(c.chunks)
    // Gone after open: the bucket's not-found comes through.
    await assert.rejects(drain(r.series(GAPPY, r.meta.minTime, r.meta.maxTime)), (e: unknown) => isNotFound(e))
    // Gone before open: refs name a segment the block does not have.
    const r2 = await BlockReader.open(c.bucket, id)
    assert.deepEqual(r2.chunks.segments, [])
    await assert.rejects(drain(r2.series(GAPPY, r2.meta.minTime, r2.meta.maxTime)), corruption(id, 'chunks', undefined, /names segment 0, block has 0/))
  })

  it('a bucket whose reads fail: the error comes through, nothing hangs', async () => {
    const c = await copy()
    const failing = (when: (key: string) => boolean): Bucket => {
      const b = Object.create(c.bucket) as Bucket
      b.getRange = async (key, off, len, opts) => {
        if (when(key)) throw new Error(`injected failure reading ${key}`)
        return c.bucket.getRange(key, off, len, opts)
      }
      return b
    }
    await assert.rejects(BlockReader.open(failing(() => true), id), /injected failure reading .*\/index/)
    const r = await BlockReader.open(failing((k) => k.includes('/chunks/')), id)
    await assert.rejects(drain(r.series(GAUGE, r.meta.minTime, r.meta.maxTime)), /injected failure reading .*chunks\/000001/)
    assert.equal((await drain(r.series(GAUGE, r.meta.minTime, r.meta.maxTime, {skipChunks: true}))).length, 6)
    const ac = new AbortController()
    ac.abort()
    const r2 = await BlockReader.open(c.bucket, id)
    await assert.rejects(drain(r2.series(GAUGE, r2.meta.minTime, r2.meta.maxTime, {signal: ac.signal})), (e: unknown) => (e as Error).name === 'AbortError')
  })
})
