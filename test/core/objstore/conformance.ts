/**
 * One behaviour suite for every Bucket (FILESYSTEM, S3 on a real SeaweedFS, each also under a
 * prefix), after Thanos objstore's `AcceptanceTest` (thanos-io/objstore `testing.go`): the
 * expected listings of its key layout are copied from there, the rest is derived from the bytes
 * uploaded. `makeBucket` must give an empty bucket, used by this suite only.
 */
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {Readable} from 'node:stream'
import fc from 'fast-check'
import {isNotFound, type Bucket} from '../../../src/core/objstore/bucket.js'

export interface ConformanceTarget {
  makeBucket(): Promise<Bucket>
  /**
   * The server keeps a directory whose last object was deleted listed for a while (SeaweedFS:
   * its filer removes empty folders asynchronously, within about two minutes; AWS S3 has no
   * directories to keep). Only the recursive listings are then checked.
   */
  emptyDirsLinger?: boolean
}

async function list(b: Bucket, dir: string, recursive = false, signal?: AbortSignal): Promise<string[]> {
  const out: string[] = []
  for await (const k of b.iter(dir, {recursive, signal})) out.push(k)
  return out
}

/** Runs `fn` over `items` with at most `n` in flight. */
async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0
  await Promise.all(
    Array.from({length: n}, async () => {
      while (i < items.length) await fn(items[i++]!)
    }),
  )
}

function aborted(): AbortSignal {
  const ac = new AbortController()
  ac.abort()
  return ac.signal
}

const isAbort = (e: unknown): boolean => (e as Error)?.name === 'AbortError'

/** Bytes that tell their offsets apart (a repeating pattern would hide an off-by-n range). */
export function seededBytes(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n)
  let x = seed >>> 0 || 1
  for (let i = 0; i < n; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    b[i] = x & 0xff
  }
  return b
}

export function bucketConformance(target: ConformanceTarget): void {
  let b: Bucket
  before(async () => {
    b = await target.makeBucket()
  })
  after(async () => {
    await b?.close()
  })

  it('reports missing objects as not found, and an empty name as an error that is not', async () => {
    await assert.rejects(b.get('id1/obj_1.some'), (e) => isNotFound(e))
    await assert.rejects(b.getRange('id1/obj_1.some', 1, 3), (e) => isNotFound(e))
    await assert.rejects(b.attributes('id1/obj_1.some'), (e) => isNotFound(e))
    assert.equal(await b.exists('id1/obj_1.some'), false)
    await assert.rejects(b.get(''), (e) => !isNotFound(e) && e instanceof Error)
  })

  it('uploads and reads back an object, with its size and modification time', async () => {
    const t0 = Date.now()
    await b.upload('id1/obj_1.some', Buffer.from('@test-data@'))
    assert.equal((await b.get('id1/obj_1.some')).toString(), '@test-data@')
    assert.equal(await b.exists('id1/obj_1.some'), true)
    const a = await b.attributes('id1/obj_1.some')
    assert.equal(a.size, 11)
    // S3 Last-Modified has one-second resolution.
    assert.ok(Math.abs(a.lastModified.getTime() - t0) < 60_000, `lastModified ${a.lastModified.toISOString()} far from now`)
  })

  it('reads ranges clamped at the end of the object (values from upstream AcceptanceTest)', async () => {
    const r = (off: number, len: number): Promise<string> => b.getRange('id1/obj_1.some', off, len).then((x) => x.toString())
    assert.equal(await r(1, 3), 'tes')
    assert.equal(await r(1, -1), 'test-data@')
    assert.equal(await r(0, -1), '@test-data@')
    assert.equal(await r(3, 9999), 'st-data@')
    assert.equal(await r(10, 5), '@')
    assert.equal(await r(11, 5), '', 'range starting at EOF')
    assert.equal(await r(124141, 3), '', 'range starting past EOF')
    assert.equal(await r(50, -1), '', 'open range starting past EOF')
    assert.equal(await r(2, 0), '')
  })

  it('reads any range of an object as the matching slice of its bytes', async () => {
    const data = seededBytes(4096, 7)
    await b.upload('ranges/data', data)
    await fc.assert(
      fc.asyncProperty(fc.integer({min: 0, max: 4200}), fc.integer({min: -1, max: 5000}), async (off, len) => {
        const got = await b.getRange('ranges/data', off, len)
        const want = data.subarray(Math.min(off, data.length), len < 0 ? data.length : Math.min(data.length, off + len))
        assert.ok(got.equals(want), `getRange(${off}, ${len}): ${got.length} bytes, want ${want.length}`)
      }),
      {numRuns: 40},
    )
  })

  it('stores an empty object, whose ranges are empty', async () => {
    await b.upload('empty/zero', Buffer.alloc(0))
    assert.equal((await b.get('empty/zero')).length, 0)
    assert.equal((await b.getRange('empty/zero', 0, 10)).length, 0)
    assert.equal((await b.attributes('empty/zero')).size, 0)
  })

  it('uploads from a stream, and an upload replaces the object', async () => {
    const chunks = [Buffer.from('@test-'), Buffer.from('data2'), Buffer.from('@')]
    await b.upload('id1/obj_2.some', Readable.from(chunks))
    assert.equal((await b.get('id1/obj_2.some')).toString(), '@test-data2@')
    await b.upload('id1/obj_2.some', Buffer.from('@test-data2@'))
    await b.upload('id1/obj_3.some', Buffer.from('first'))
    await b.upload('id1/obj_3.some', Buffer.from('@test-data3@'))
    assert.equal((await b.get('id1/obj_3.some')).toString(), '@test-data3@')
  })

  it('lists direct children with directories as dir/, recursively every object, in key order', async () => {
    for (const [k, v] of [
      ['id1/sub/subobj_1.some', '@test-data4@'],
      ['id1/sub/subobj_2.some', '@test-data5@'],
      ['id2/obj_4.some', '@test-data6@'],
      ['obj_5.some', '@test-data7@'],
    ]) {
      await b.upload(k!, Buffer.from(v!))
    }
    // From AcceptanceTest, plus this suite's own objects.
    assert.deepEqual(await list(b, ''), ['empty/', 'id1/', 'id2/', 'obj_5.some', 'ranges/'])
    const id1 = ['id1/obj_1.some', 'id1/obj_2.some', 'id1/obj_3.some', 'id1/sub/']
    assert.deepEqual(await list(b, 'id1/'), id1)
    assert.deepEqual(await list(b, 'id1'), id1)
    const id1All = ['id1/obj_1.some', 'id1/obj_2.some', 'id1/obj_3.some', 'id1/sub/subobj_1.some', 'id1/sub/subobj_2.some']
    assert.deepEqual(await list(b, 'id1/', true), id1All)
    assert.deepEqual(await list(b, 'id1', true), id1All)
    assert.deepEqual(await list(b, '', true), ['empty/zero', ...id1All, 'id2/obj_4.some', 'obj_5.some', 'ranges/data'])
    assert.deepEqual(await list(b, 'id0'), [])
    assert.deepEqual(await list(b, 'id0', true), [])
    // A prefix of a name is not a directory.
    assert.deepEqual(await list(b, 'id'), [])
  })

  it("orders 'a.txt' before 'a/' as S3 does (byte order of the listed names)", async () => {
    await b.upload('order/a/x', Buffer.from('1'))
    await b.upload('order/a.txt', Buffer.from('2'))
    await b.upload('order/a-b', Buffer.from('3'))
    await b.upload('order/a0', Buffer.from('4'))
    // '-' 0x2D < '.' 0x2E < '/' 0x2F < '0' 0x30
    assert.deepEqual(await list(b, 'order'), ['order/a-b', 'order/a.txt', 'order/a/', 'order/a0'])
    assert.deepEqual(await list(b, 'order', true), ['order/a-b', 'order/a.txt', 'order/a/x', 'order/a0'])
  })

  it('keeps names with spaces, reserved and non-ASCII characters, and digit-only names', async () => {
    const keys = ['odd/sp ace+plus%25&amp=eq?.txt', 'odd/ünï/日本.txt', 'odd/000001', 'odd/0x10', 'odd/😀']
    for (const k of keys) await b.upload(k, Buffer.from(k))
    for (const k of keys) assert.equal((await b.get(k)).toString(), k)
    assert.deepEqual(await list(b, 'odd'), ['odd/000001', 'odd/0x10', 'odd/sp ace+plus%25&amp=eq?.txt', 'odd/ünï/', 'odd/😀'])
    assert.deepEqual(await list(b, 'odd/ünï'), ['odd/ünï/日本.txt'])
  })

  it('lists more than 1000 objects (one S3 list page), all of them in order', async function () {
    this.timeout(180_000)
    const keys = Array.from({length: 1100}, (_, i) => `many/${String(i).padStart(5, '0')}`)
    await pool(keys, 16, (k) => b.upload(k, Buffer.from(k)))
    assert.deepEqual(await list(b, 'many/'), keys)
    assert.deepEqual(await list(b, 'many', true), keys)
    const dirs = Array.from({length: 1005}, (_, i) => `manydirs/d${String(i).padStart(5, '0')}/`)
    await pool(dirs, 16, (d) => b.upload(`${d}x`, Buffer.from('x')))
    assert.deepEqual(await list(b, 'manydirs'), dirs)
  })

  it('deletes objects; deleting a missing one is fine; an emptied directory is no longer listed', async () => {
    await b.delete('id1/obj_2.some')
    assert.equal(await b.exists('id1/obj_2.some'), false)
    await assert.rejects(b.get('id1/obj_2.some'), (e) => isNotFound(e))
    await b.delete('id1/obj_2.some')
    await b.delete('never/was')
    assert.deepEqual(await list(b, 'id1/'), ['id1/obj_1.some', 'id1/obj_3.some', 'id1/sub/'])
    await b.delete('id2/obj_4.some')
    assert.deepEqual(await list(b, 'id2/', true), [])
    assert.deepEqual(await list(b, 'id2/'), [])
    if (!target.emptyDirsLinger) assert.ok(!(await list(b, '')).includes('id2/'))
    await assert.rejects(b.delete(''), (e) => e instanceof Error && !isNotFound(e))
  })

  it('round-trips a 12 MiB object byte for byte, from a buffer and from a stream', async function () {
    this.timeout(120_000)
    const big = seededBytes(12 * 1024 * 1024 + 12345, 42)
    await b.upload('big/buffer', big)
    assert.ok((await b.get('big/buffer')).equals(big))
    // Uneven chunks, as a file stream would give.
    const chunks: Buffer[] = []
    for (let off = 0; off < big.length; off += 1_000_003) chunks.push(big.subarray(off, off + 1_000_003))
    await b.upload('big/stream', Readable.from(chunks), {size: big.length})
    const back = await b.get('big/stream')
    assert.equal(back.length, big.length)
    assert.ok(back.equals(big))
    assert.equal((await b.attributes('big/stream')).size, big.length)
    const off = 5 * 1024 * 1024 - 7
    assert.ok((await b.getRange('big/stream', off, 100)).equals(big.subarray(off, off + 100)))
  })

  it('honours an aborted AbortSignal in every call', async () => {
    const signal = aborted()
    await assert.rejects(b.get('id1/obj_1.some', {signal}), isAbort)
    await assert.rejects(b.getRange('id1/obj_1.some', 0, 3, {signal}), isAbort)
    await assert.rejects(b.exists('id1/obj_1.some', {signal}), isAbort)
    await assert.rejects(b.attributes('id1/obj_1.some', {signal}), isAbort)
    await assert.rejects(b.upload('aborted/x', Buffer.from('x'), {signal}), isAbort)
    await assert.rejects(b.delete('id1/obj_1.some', {signal}), isAbort)
    await assert.rejects(list(b, '', false, signal), isAbort)
    await assert.rejects(list(b, '', true, signal), isAbort)
    assert.equal(await b.exists('aborted/x'), false)
    assert.equal(await b.exists('id1/obj_1.some'), true)
  })

  it('stops a download when the signal aborts mid-way', async function () {
    this.timeout(60_000)
    const data = randomBytes(16 * 1024 * 1024)
    await b.upload('abort/big', data)
    const ac = new AbortController()
    const p = b.get('abort/big', {signal: ac.signal})
    setImmediate(() => ac.abort())
    await assert.rejects(p, isAbort)
  })
}
