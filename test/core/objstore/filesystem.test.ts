import assert from 'node:assert/strict'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {ObjectNotFoundError} from '../../../src/core/objstore/bucket.js'
import {bucketFromConfig} from '../../../src/core/objstore/config.js'
import {bucketConformance} from './conformance.js'
import {thanosBucketLs, uploadMinimalBlock} from './thanos-ls.js'

const dirs: string[] = []
async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'thanosts-fs-bucket-'))
  dirs.push(d)
  return d
}
after(async () => {
  for (const d of dirs) await rm(d, {recursive: true, force: true})
})

const fsYaml = (dir: string, prefix?: string): string => `type: FILESYSTEM\nconfig:\n  directory: ${JSON.stringify(dir)}\n${prefix === undefined ? '' : `prefix: ${JSON.stringify(prefix)}\n`}`

describe('objstore FILESYSTEM bucket', () => {
  bucketConformance({makeBucket: async () => bucketFromConfig(fsYaml(await tempDir()))})
})

describe('objstore FILESYSTEM bucket under a prefix', () => {
  let dir: string
  bucketConformance({
    makeBucket: async () => {
      dir = await tempDir()
      // Objects outside the prefix must stay invisible.
      const root = bucketFromConfig(fsYaml(dir))
      await root.upload('outside/x', Buffer.from('x'))
      await root.upload('tenant/ab', Buffer.from('not under tenant/a/'))
      return bucketFromConfig(fsYaml(dir, '/tenant/a/'))
    },
  })
  it('stored every object under the prefix', async () => {
    assert.equal(await readFile(path.join(dir, 'tenant/a/id1/obj_1.some'), 'utf8'), '@test-data@')
    assert.equal(await readFile(path.join(dir, 'outside/x'), 'utf8'), 'x')
  })
})

describe('objstore FILESYSTEM bucket read by the real thanos', () => {
  it('thanos tools bucket ls lists the blocks we wrote, with the same config, also under a prefix', async function () {
    this.timeout(60_000)
    const dir = await tempDir()
    const ulids = ['01JDZ3S8WQ6K3V9Q2X7Y5A1B2C', '01JDZ4A0000000000000000000']
    const plain = bucketFromConfig(fsYaml(dir))
    await uploadMinimalBlock(plain, ulids[0]!, {cluster: 'eu1', replica: 'a'})
    await plain.upload('not-a-block/meta.json', Buffer.from('{}'))
    const prefixed = bucketFromConfig(fsYaml(dir, 'tenant'))
    await uploadMinimalBlock(prefixed, ulids[1]!, {cluster: 'us1'})

    const root = await thanosBucketLs(fsYaml(dir))
    assert.deepEqual(
      root.map((m) => [m.ulid, m.thanos.labels]),
      [[ulids[0], {cluster: 'eu1', replica: 'a'}]],
    )
    const tenant = await thanosBucketLs(fsYaml(dir, 'tenant'))
    assert.deepEqual(
      tenant.map((m) => [m.ulid, m.thanos.labels]),
      [[ulids[1], {cluster: 'us1'}]],
    )
  })
})

describe('objstore FILESYSTEM bucket: open files kept for ranged reads', () => {
  it('reads many files concurrently, more than it keeps open, each its own bytes', async () => {
    const b = bucketFromConfig(fsYaml(await tempDir()))
    const n = 300
    for (let i = 0; i < n; i++) await b.upload(`blk/f${i}`, Buffer.from(`file-${i}-${'x'.repeat(i % 7)}`))
    const reads = await Promise.all(Array.from({length: n * 3}, (_, k) => b.getRange(`blk/f${k % n}`, 5, -1)))
    reads.forEach((r, k) => assert.equal(r.toString(), `${k % n}-${'x'.repeat((k % n) % 7)}`))
    await b.close()
  })

  it('sees an object replaced or deleted through the bucket, and reads again after close()', async () => {
    const dir = await tempDir()
    const b = bucketFromConfig(fsYaml(dir))
    await b.upload('blk/index', Buffer.from('first version'))
    assert.equal((await b.getRange('blk/index', 0, 5)).toString(), 'first')
    await b.upload('blk/index', Buffer.from('second, longer version'))
    assert.equal((await b.getRange('blk/index', 0, -1)).toString(), 'second, longer version')
    await b.delete('blk')
    await assert.rejects(b.getRange('blk/index', 0, 4), ObjectNotFoundError)
    // A failed open is not cached: the object appearing later is read.
    await b.upload('blk/index', Buffer.from('third'))
    assert.equal((await b.getRange('blk/index', 0, -1)).toString(), 'third')
    await b.close()
    assert.equal((await b.getRange('blk/index', 1, 3)).toString(), 'hir')
    await b.close()
  })
})
