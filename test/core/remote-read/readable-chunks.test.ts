import assert from 'node:assert/strict'
import {PassThrough, Readable} from 'node:stream'
import {readableChunks} from '../../../src/core/remote-read/readable-chunks.js'

describe('readableChunks', () => {
  it('yields the chunks as written, in order and unjoined, and ends with the stream', async () => {
    const r = Readable.from([Buffer.from('ab'), Buffer.from('c'), Buffer.from('def')], {objectMode: false})
    const got: string[] = []
    for await (const c of readableChunks(r)) got.push(Buffer.from(c).toString())
    assert.deepEqual(got, ['ab', 'c', 'def'])
  })

  it('pauses the stream while the unread bytes exceed the high-water mark, and resumes as they are read', async () => {
    const p = new PassThrough()
    const it = readableChunks(p, 4)[Symbol.asyncIterator]()
    const first = it.next() // starts listening
    p.write(Buffer.alloc(3))
    p.write(Buffer.alloc(3))
    await new Promise((r) => setImmediate(r))
    assert.equal((await first).value.length, 3)
    assert.equal(p.isPaused(), false, 'resumed once under the mark')
    p.write(Buffer.alloc(5))
    await new Promise((r) => setImmediate(r))
    assert.equal(p.isPaused(), true, 'paused with 8 bytes unread')
    assert.equal((await it.next()).value.length, 3)
    assert.equal((await it.next()).value.length, 5)
    assert.equal(p.isPaused(), false)
    p.end()
    assert.equal((await it.next()).done, true)
  })

  it('rethrows the stream error after the chunks before it', async () => {
    const p = new PassThrough()
    const got: number[] = []
    const run = (async () => {
      for await (const c of readableChunks(p)) got.push(c.length)
    })()
    p.write(Buffer.alloc(2))
    await new Promise((r) => setImmediate(r))
    p.destroy(new Error('socket hang up'))
    await assert.rejects(run, /socket hang up/)
    assert.deepEqual(got, [2])
  })

  it('destroys the stream when the consumer stops early', async () => {
    const p = new PassThrough()
    p.write(Buffer.alloc(1))
    for await (const c of readableChunks(p)) {
      assert.equal(c.length, 1)
      break
    }
    assert.equal(p.destroyed, true)
  })
})
