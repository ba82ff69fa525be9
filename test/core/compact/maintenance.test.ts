/**
 * The compactor's other duties and refusals, each checked against the real `thanos compact` on
 * a copy of the same bucket: retention per resolution (deletion marks on the blocks Thanos
 * marks, with its details), the halt on overlapping blocks of one group without replica labels
 * (exit with upstream's message naming the blocks; with --wait, thanos_compact_halted 1 on
 * /metrics and the bucket untouched), aborted partial uploads older than 48h deleted, younger
 * ones kept. And the CLI: thanos compact's flags and defaults, usage errors.
 */
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {cp, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'
import {newUlid} from '../../../src/core/block/ulid.js'
import {FilesystemBucket} from '../../../src/core/objstore/filesystem.js'
import {uploadBackfilled, uploadBlocksDir} from '../../helpers/bucket-blocks.js'
import {samples, toOpenMetrics} from '../../helpers/openmetrics.js'
import {freePort} from '../../helpers/ports.js'
import {startProcess, waitForHttpOk} from '../../helpers/process.js'
import {backfill} from '../../helpers/prometheus.js'
import {filesystemBucketYaml, runThanosCompact, runToEnd, type RunResult} from '../../helpers/thanos-bucket.js'
import {BIN} from '../../helpers/cli.js'

const execFileP = promisify(execFile)
const HOUR = 3_600_000
const T0 = Date.UTC(2024, 0, 1)
const COMMON = ['--consistency-delay=0s', '--downsampling.disable', '--log.level=debug']

async function thanostsCompact(bucketDir: string, extra: string[], dataDir: string): Promise<RunResult> {
  return runToEnd('node', [BIN, 'compact', `--objstore.config=${filesystemBucketYaml(bucketDir)}`, `--data-dir=${dataDir}`, `--http-address=127.0.0.1:${await freePort()}`, ...extra])
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  )
}

/** Deletion marks of a bucket directory: block -> details. */
async function marks(bucketDir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const id of (await readdir(bucketDir)).sort()) {
    const text = await readFile(path.join(bucketDir, id, 'deletion-mark.json'), 'utf8').catch(() => undefined)
    if (text) out[id] = (JSON.parse(text) as {details: string}).details
  }
  return out
}

describe('thanosts compact: retention, overlap halt, partial uploads, CLI', function () {
  this.timeout(600_000)
  let root: string

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'thanosts-compact-maint-'))
  })

  after(() => rm(root, {recursive: true, force: true}))

  it('--retention.resolution-raw marks the blocks past it, as thanos compact does', async () => {
    const dir = path.join(root, 'retention')
    const bucket = new FilesystemBucket({directory: dir})
    const old = await uploadBackfilled(bucket, {series: [{metric: 'm', samples: samples(T0, 60_000, 240, (i) => i)}], ext: {cluster: 'old'}})
    const now = Math.floor(Date.now() / HOUR) * HOUR
    const fresh = await uploadBackfilled(bucket, {series: [{metric: 'm', samples: samples(now - 3 * HOUR, 60_000, 60, (i) => i)}], ext: {cluster: 'new'}})
    await cp(dir, `${dir}-thanos`, {recursive: true})
    const flags = [...COMMON, '--retention.resolution-raw=2d']
    const [ours, theirs] = [await thanostsCompact(dir, flags, path.join(root, 'd1')), await runThanosCompact(`${dir}-thanos`, flags)]
    assert.equal(theirs.code, 0, theirs.output)
    assert.equal(ours.code, 0, ours.output)
    assert.deepEqual(await marks(dir), await marks(`${dir}-thanos`))
    assert.deepEqual(await marks(dir), Object.fromEntries(old.map((id) => [id, 'block exceeding retention of 48h0m0s'])))
    for (const id of [...old, ...fresh]) assert.ok(await exists(path.join(dir, id, 'meta.json')), 'deleted only after --delete-delay')
    assert.match(ours.output, /applying retention: marking block for deletion/)
  })

  it('a raw retention below 40h with downsampling enabled is refused, as thanos compact refuses it', async () => {
    const dir = path.join(root, 'empty')
    await mkdir(dir, {recursive: true})
    const flags = ['--retention.resolution-raw=1d']
    const [ours, theirs] = [await thanostsCompact(dir, flags, path.join(root, 'd2')), await runThanosCompact(dir, flags)]
    const msg = 'raw resolution must be higher than the minimum block size after which 5m resolution downsampling will occur (40 hours)'
    assert.notEqual(theirs.code, 0)
    assert.ok(theirs.output.includes(msg), theirs.output)
    assert.equal(ours.code, 2, ours.output)
    assert.ok(ours.output.includes(msg), ours.output)
  })

  describe('overlapping blocks in one group without replica labels', () => {
    let dir: string
    let ids: string[]

    before(async () => {
      dir = path.join(root, 'overlap')
      const blocks = path.join(root, 'overlap-src')
      await backfill(toOpenMetrics([{metric: 'm', samples: samples(T0, 60_000, 100, (i) => i)}]), blocks, root)
      const bucket = new FilesystemBucket({directory: dir})
      // The same data twice under two ULIDs, same external labels: a duplicate upload, not replicas.
      ids = [...(await uploadBlocksDir(bucket, blocks, {cluster: 'c1'})), ...(await uploadBlocksDir(bucket, blocks, {cluster: 'c1'}, {renew: true}))].sort()
      assert.equal(ids.length, 2)
    })

    it('halts: exits 1 with upstream\'s message naming both blocks and the shared range, as thanos compact; the bucket is untouched', async () => {
      await cp(dir, `${dir}-thanos`, {recursive: true})
      const before = (await readdir(dir)).sort()
      const [ours, theirs] = [await thanostsCompact(dir, COMMON, path.join(root, 'd3')), await runThanosCompact(`${dir}-thanos`, COMMON)]
      assert.notEqual(theirs.code, 0)
      const expect = /pre compaction overlap check: overlaps found while gathering blocks\. \[mint: (\d+), maxt: (\d+), range: ([0-9hms]+), blocks: 2\]: <ulid: (\w+), mint: \d+, maxt: \d+, range: [0-9hms]+>, <ulid: (\w+)/
      const t = expect.exec(theirs.output)
      assert.ok(t, theirs.output)
      assert.equal(ours.code, 1, ours.output)
      const o = expect.exec(ours.output)
      assert.ok(o, ours.output)
      assert.deepEqual(o.slice(1, 4), t.slice(1, 4))
      assert.deepEqual([o[4], o[5]].sort(), ids)
      assert.deepEqual((await readdir(dir)).sort(), before)
      assert.deepEqual(await marks(dir), {})
    })

    it('with --wait: thanos_compact_halted 1 on /metrics, still healthy, the bucket untouched', async () => {
      const http = await freePort()
      const p = startProcess('thanosts-compact-wait', 'node', [BIN, 'compact', `--objstore.config=${filesystemBucketYaml(dir)}`, `--data-dir=${path.join(root, 'd4')}`, `--http-address=127.0.0.1:${http}`, '--wait', ...COMMON])
      try {
        await waitForHttpOk(`http://127.0.0.1:${http}/-/healthy`, p)
        let metrics = ''
        for (let i = 0; i < 100 && !/^thanos_compact_halted 1$/m.test(metrics); i++) {
          await new Promise((r) => setTimeout(r, 200))
          metrics = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text()
        }
        assert.match(metrics, /^thanos_compact_halted 1$/m, p.output())
        assert.match(metrics, /^thanos_compact_group_compactions_failures_total\{resolution="0"\} 1$/m)
        assert.match(p.output(), /critical error detected; halting/)
        assert.equal((await fetch(`http://127.0.0.1:${http}/-/healthy`)).status, 200)
        assert.equal((await fetch(`http://127.0.0.1:${http}/-/ready`)).status, 200)
        assert.deepEqual(await marks(dir), {})
      } finally {
        await p.stop()
      }
    })
  })

  it('a corrupt chunk in an input halts the compaction naming the block; nothing is uploaded or marked', async () => {
    const dir = path.join(root, 'corrupt')
    const blocks = path.join(root, 'corrupt-src')
    await backfill(toOpenMetrics([{metric: 'm', samples: samples(T0, 15_000, 400, (i) => i)}]), blocks, root)
    const bucket = new FilesystemBucket({directory: dir})
    await uploadBlocksDir(bucket, blocks, {cluster: 'c1', replica: 'a'})
    const [b] = await uploadBlocksDir(bucket, blocks, {cluster: 'c1', replica: 'b'}, {renew: true})
    // Flip a byte inside the first chunk's data of b (after the 8-byte segment header, length and encoding).
    const seg = path.join(dir, b!, 'chunks', '000001')
    const bytes = await readFile(seg)
    bytes[20] = bytes[20]! ^ 0xff
    await writeFile(seg, bytes)
    const before = (await readdir(dir)).sort()
    const r = await thanostsCompact(dir, [...COMMON, '--deduplication.replica-label=replica', '--deduplication.func=penalty'], path.join(root, 'd8'))
    assert.equal(r.code, 1, r.output)
    assert.match(r.output, new RegExp(`compact blocks [^"]*${b}[^"]*: block ${b}: chunks/000001 at offset \\d+: .*CRC32-C`), r.output)
    assert.deepEqual((await readdir(dir)).sort(), before)
    assert.deepEqual(await marks(dir), {})
  })

  it('deletes partial uploads (no meta.json) older than 48h, keeps younger ones and whole blocks', async () => {
    const dir = path.join(root, 'partial')
    const bucket = new FilesystemBucket({directory: dir})
    const [whole] = await uploadBackfilled(bucket, {series: [{metric: 'm', samples: samples(T0, 60_000, 60, (i) => i)}], ext: {cluster: 'c1'}})
    const [oldPartial, youngPartial] = [newUlid(Date.now() - 72 * HOUR), newUlid(Date.now() - 72 * HOUR)]
    for (const id of [oldPartial, youngPartial]) {
      await cp(path.join(dir, whole!, 'chunks'), path.join(dir, id!, 'chunks'), {recursive: true})
      await cp(path.join(dir, whole!, 'index'), path.join(dir, id!, 'index'))
    }
    const old = new Date(Date.now() - 49 * HOUR)
    for (const f of ['chunks/000001', 'index']) await utimes(path.join(dir, oldPartial, f), old, old)
    await cp(dir, `${dir}-thanos`, {recursive: true})
    for (const f of ['chunks/000001', 'index']) await utimes(path.join(`${dir}-thanos`, oldPartial, f), old, old)
    const [ours, theirs] = [await thanostsCompact(dir, COMMON, path.join(root, 'd5')), await runThanosCompact(`${dir}-thanos`, COMMON)]
    assert.equal(theirs.code, 0, theirs.output)
    assert.equal(ours.code, 0, ours.output)
    assert.deepEqual((await readdir(dir)).sort(), (await readdir(`${dir}-thanos`)).sort())
    assert.deepEqual((await readdir(dir)).sort(), [whole, youngPartial].sort())
    assert.match(ours.output, /deleted aborted partial upload/)
  })

  it("--help lists thanos compact's flags with their defaults", async () => {
    const {stdout} = await execFileP('node', [BIN, 'compact', '--help'])
    for (const [flag, def] of [
      ['--http-address', '0.0.0.0:10902'],
      ['--data-dir', './data'],
      ['--consistency-delay', '30m'],
      ['--retention.resolution-raw', '0d'],
      ['--retention.resolution-5m', '0d'],
      ['--retention.resolution-1h', '0d'],
      ['--wait-interval', '5m'],
      ['--delete-delay', '48h'],
      ['--compact.concurrency', '1'],
    ]) {
      assert.ok(stdout.includes(flag), `${flag} in help`)
      // oclif prints `--flag=<value>` and, on the next line, `[default: X] description`.
      const at = stdout.indexOf(`  ${flag}=`)
      assert.ok(at >= 0, `${flag} documented`)
      assert.ok(stdout.slice(at).split('\n')[1]!.trim().startsWith(`[default: ${def}]`), `default ${def} of ${flag}`)
    }
    for (const flag of ['--objstore.config-file', '--objstore.config', '--wait', '--downsampling.disable', '--deduplication.replica-label', '--deduplication.func']) assert.ok(stdout.includes(flag), flag)
  })

  it('usage errors exit 2 with the reason: penalty without a replica label, an unknown func, no bucket', async () => {
    const dir = path.join(root, 'empty')
    const penalty = await thanostsCompact(dir, ['--deduplication.func=penalty'], path.join(root, 'd6'))
    assert.equal(penalty.code, 2, penalty.output)
    assert.match(penalty.output, /penalty based deduplication needs at least one replica label specified/)
    const unknown = await thanostsCompact(dir, ['--deduplication.func=chain'], path.join(root, 'd6'))
    assert.equal(unknown.code, 2, unknown.output)
    const none = await runToEnd('node', [BIN, 'compact', `--http-address=127.0.0.1:${await freePort()}`, `--data-dir=${path.join(root, 'd6')}`])
    assert.equal(none.code, 2, none.output)
    assert.match(none.output, /objstore\.config-file or objstore\.config is required/)
  })

  it('with --wait: an iteration every --wait-interval (thanos_compact_iterations_total), ready, and SIGTERM ends it with exit 0', async () => {
    const dir = path.join(root, 'empty')
    const http = await freePort()
    const p = startProcess('thanosts-compact-loop', 'node', [BIN, 'compact', `--objstore.config=${filesystemBucketYaml(dir)}`, `--data-dir=${path.join(root, 'd9')}`, `--http-address=127.0.0.1:${http}`, '--wait', '--wait-interval=300ms', ...COMMON])
    try {
      await waitForHttpOk(`http://127.0.0.1:${http}/-/ready`, p)
      let n = 0
      for (let i = 0; i < 100 && n < 3; i++) {
        await new Promise((r) => setTimeout(r, 200))
        n = Number(/^thanos_compact_iterations_total (\d+)$/m.exec(await (await fetch(`http://127.0.0.1:${http}/metrics`)).text())?.[1] ?? 0)
      }
      assert.ok(n >= 3, `${n} iterations`)
      assert.match(await (await fetch(`http://127.0.0.1:${http}/metrics`)).text(), /^thanos_compact_halted 0$/m)
      const code = p.waitExit()
      p.proc.kill('SIGTERM')
      assert.equal(await code, 0, p.output())
    } finally {
      await p.stop()
    }
    assert.match(p.output(), /caught signal, exiting/)
    assert.doesNotMatch(p.output(), /compact failed/)
  })

  it('without --wait and nothing to do: exits 0, leaves no work directory behind', async () => {
    const dir = path.join(root, 'empty')
    const data = path.join(root, 'd7')
    const r = await thanostsCompact(dir, COMMON, data)
    assert.equal(r.code, 0, r.output)
    assert.ok(!(await exists(path.join(data, 'compact'))))
  })
})
