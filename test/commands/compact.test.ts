/**
 * `thanosts compact`'s block selection and background flags, each against the real
 * `thanos compact` v0.42.4 on a copy of the same bucket of promtool blocks: --max-time (an
 * RFC 3339 time) and --min-time (a duration relative to now) leave the blocks outside
 * uncompacted; --selector.relabel-config keeps one group, and does not see the
 * --deduplication.replica-label labels; --compact.cleanup-interval deletes an aborted partial
 * upload between iterations (and 0s does not). And `--help`: every flag we have is Thanos's,
 * with its default and its help, compared with the peer's own `compact --help`.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {cp, mkdtemp, readdir, readFile, rm, stat, utimes} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {parseMeta} from '../../src/core/block/meta.js'
import {newUlid} from '../../src/core/block/ulid.js'
import {FilesystemBucket} from '../../src/core/objstore/filesystem.js'
import {uploadBackfilled} from '../helpers/bucket-blocks.js'
import {BIN} from '../helpers/cli.js'
import {samples, type SeriesSpec} from '../helpers/openmetrics.js'
import {peer} from '../helpers/peers.js'
import {freePort} from '../helpers/ports.js'
import {startProcess, waitForHttpOk, type ManagedProcess} from '../helpers/process.js'
import {filesystemBucketYaml, runThanosCompact, runToEnd, type RunResult} from '../helpers/thanos-bucket.js'
import {parseKingpinHelp, parseOclifHelp} from './compact-help.js'

const HOUR = 3_600_000
/** 2024-01-01T00:00Z, a multiple of 8h. */
const T0 = Date.UTC(2024, 0, 1)
const COMMON = ['--consistency-delay=0s', '--downsampling.disable', '--log.level=debug']

async function thanostsCompact(bucketDir: string, extra: string[], dataDir: string): Promise<RunResult> {
  return runToEnd('node', [BIN, 'compact', `--objstore.config=${filesystemBucketYaml(bucketDir)}`, `--data-dir=${dataDir}`, `--http-address=127.0.0.1:${await freePort()}`, ...extra])
}

/** 20h of samples in ten 2h blocks, each ending at its range's last millisecond (so the ranges are full). */
function series(): SeriesSpec[] {
  return [
    {metric: 'm', labels: {i: '1'}, samples: samples(T0, 60_000, (20 * HOUR) / 60_000, (i) => i)},
    {metric: 'edge', samples: Array.from({length: 10}, (_, k) => [T0 + (k + 1) * 2 * HOUR - 1, k] as [number, number])},
  ]
}

/** Blocks without a deletion mark, as `minTime-maxTime (hours from T0) level labels`, sorted. */
async function liveShape(bucketDir: string): Promise<string[]> {
  const out: string[] = []
  for (const id of await readdir(bucketDir)) {
    const text = await readFile(path.join(bucketDir, id, 'meta.json')).catch(() => undefined)
    if (!text) continue
    if (await stat(path.join(bucketDir, id, 'deletion-mark.json')).then(() => true, () => false)) continue
    const m = parseMeta(text, id)
    out.push(`${(m.minTime - T0) / HOUR}-${(m.maxTime - T0) / HOUR}h L${m.compaction.level} ${JSON.stringify(m.thanos.labels)}`)
  }
  return out.sort()
}

const twoHourBlocks = (labels: Record<string, string>, from = 0, to = 20): string[] => Array.from({length: (to - from) / 2}, (_, k) => `${from + 2 * k}-${from + 2 * k + 2}h L1 ${JSON.stringify(labels)}`)

async function metric(port: number, name: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)
  return m ? Number(m[1]) : undefined
}

async function until(what: string, f: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false)

describe('thanosts compact: --min-time/--max-time, --selector.relabel-config, --compact.cleanup-interval, --help, as thanos compact', function () {
  this.timeout(600_000)
  let root: string
  /** A bucket of two groups (cluster a and b, replica r1) of ten 2h blocks each. */
  let input: string

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'thanosts-compact-flags-'))
    input = path.join(root, 'input')
    const bucket = new FilesystemBucket({directory: input})
    await uploadBackfilled(bucket, {series: series(), ext: {cluster: 'a', replica: 'r1'}})
    await uploadBackfilled(bucket, {series: series(), ext: {cluster: 'b', replica: 'r1'}})
  })

  after(() => rm(root, {recursive: true, force: true}))

  /** Our compactor and thanos's on two copies of the input with the same flags; both shapes. */
  async function both(name: string, flags: string[]): Promise<{ours: string[]; theirs: string[]}> {
    const [a, b] = [path.join(root, `${name}-ours`), path.join(root, `${name}-thanos`)]
    await cp(input, a, {recursive: true})
    await cp(input, b, {recursive: true})
    const ours = await thanostsCompact(a, [...COMMON, ...flags], path.join(root, `${name}-data`))
    const theirs = await runThanosCompact(b, [...COMMON, ...flags])
    assert.equal(theirs.code, 0, theirs.output)
    assert.equal(ours.code, 0, ours.output)
    return {ours: await liveShape(a), theirs: await liveShape(b)}
  }

  const A = {cluster: 'a', replica: 'r1'}
  const B = {cluster: 'b', replica: 'r1'}
  /** What a full run makes of one group: 0-8h and 8-16h merged, the newest 4h left. */
  const compacted = (l: Record<string, string>): string[] => [`0-8h L2 ${JSON.stringify(l)}`, `8-16h L2 ${JSON.stringify(l)}`, ...twoHourBlocks(l, 16, 20)]

  it('without selection flags both groups are compacted (the baseline of the tests below)', async () => {
    const {ours, theirs} = await both('all', [])
    assert.deepEqual(ours, theirs)
    assert.deepEqual(ours, [...compacted(A), ...compacted(B)].sort())
  })

  it('--max-time (RFC 3339) leaves the blocks after it out: only 0-8h is merged, 8h..20h stay 2h blocks', async () => {
    // Blocks starting at or before T0+12h are seen; the newest seen (12-14h) is never planned,
    // so 8-12h is not a full range: only 0-8h compacts.
    const {ours, theirs} = await both('maxtime', [`--max-time=${new Date(T0 + 12 * HOUR).toISOString().replace('.000', '')}`])
    assert.deepEqual(ours, theirs)
    const g = (l: Record<string, string>): string[] => [`0-8h L2 ${JSON.stringify(l)}`, ...twoHourBlocks(l, 8, 20)]
    assert.deepEqual(ours, [...g(A), ...g(B)].sort())
  })

  it('--min-time as a duration relative to now (-Ns) leaves the blocks before it out', async () => {
    // Blocks ending at or after T0+8h are seen: 8-16h merges, 0-8h stays as it was.
    const ago = Math.floor((Date.now() - (T0 + 8 * HOUR)) / 1000) - 60
    const {ours, theirs} = await both('mintime', [`--min-time=-${ago}s`])
    assert.deepEqual(ours, theirs)
    const g = (l: Record<string, string>): string[] => [...twoHourBlocks(l, 0, 8), `8-16h L2 ${JSON.stringify(l)}`, ...twoHourBlocks(l, 16, 20)]
    assert.deepEqual(ours, [...g(A), ...g(B)].sort())
  })

  it('--selector.relabel-config keeping cluster=a compacts group a only; group b is untouched', async () => {
    const cfg = '- source_labels: [cluster]\n  regex: a\n  action: keep\n'
    const {ours, theirs} = await both('relabel', [`--selector.relabel-config=${cfg}`])
    assert.deepEqual(ours, theirs)
    assert.deepEqual(ours, [...compacted(A), ...twoHourBlocks(B)].sort())
  })

  it('--selector.relabel-config-file: the same rules from a file, a drop rule this time', async () => {
    const file = path.join(root, 'relabel.yml')
    await (await import('node:fs/promises')).writeFile(file, '- source_labels: [cluster]\n  regex: a\n  action: drop\n')
    const {ours, theirs} = await both('relabelfile', [`--selector.relabel-config-file=${file}`])
    assert.deepEqual(ours, theirs)
    assert.deepEqual(ours, [...twoHourBlocks(A), ...compacted(B)].sort())
  })

  it('the selector does not see the --deduplication.replica-label labels: keeping replica=r1 then selects nothing', async () => {
    const cfg = '- source_labels: [replica]\n  regex: r1\n  action: keep\n'
    const kept = await both('relabel-replica-kept', [`--selector.relabel-config=${cfg}`])
    assert.deepEqual(kept.ours, kept.theirs)
    assert.deepEqual(kept.ours, [...compacted(A), ...compacted(B)].sort(), 'without the replica label flag, r1 is kept')
    const hidden = await both('relabel-replica-hidden', [`--selector.relabel-config=${cfg}`, '--deduplication.replica-label=replica'])
    assert.deepEqual(hidden.ours, hidden.theirs)
    assert.deepEqual(hidden.ours, [...twoHourBlocks(A), ...twoHourBlocks(B)].sort())
  })

  it('a bad selector config or both selector flags are usage errors (exit 2), as in thanos', async () => {
    const bad = await thanostsCompact(input, [...COMMON, '--selector.relabel-config=- action: replace\n  target_label: x\n'], path.join(root, 'bad-data'))
    assert.equal(bad.code, 2, bad.output)
    assert.match(bad.output, /unsupported relabel action: replace/)
    const theirs = await runThanosCompact(input, [...COMMON, '--selector.relabel-config=- action: replace\n  target_label: x\n'])
    assert.notEqual(theirs.code, 0, theirs.output)
    const twice = await thanostsCompact(input, [...COMMON, '--selector.relabel-config=[]', `--selector.relabel-config-file=${path.join(root, 'relabel.yml')}`], path.join(root, 'bad-data'))
    assert.equal(twice.code, 2, twice.output)
    const badTime = await thanostsCompact(input, [...COMMON, '--max-time=yesterday'], path.join(root, 'bad-data'))
    assert.equal(badTime.code, 2, badTime.output)
    const badConc = await thanostsCompact(input, [...COMMON, '--downsample.concurrency=0'], path.join(root, 'bad-data'))
    assert.equal(badConc.code, 2, badConc.output)
  })

  describe('--compact.cleanup-interval', () => {
    /**
     * Starts a compactor with --wait and a 1h wait interval on a copy of the input, waits for its
     * first iteration, then puts an aborted partial upload (files 49h old) in the bucket; the
     * progress loop's syncs (every 200ms) show it to the cleanup loop.
     */
    async function partialAfterFirstIteration(name: string, bin: 'ours' | 'thanos', cleanup: string): Promise<{gone: boolean; loops: number | undefined; p: ManagedProcess}> {
      const dir = path.join(root, name)
      await cp(input, dir, {recursive: true})
      const http = await freePort()
      const args = ['compact', `--objstore.config=${filesystemBucketYaml(dir)}`, `--data-dir=${path.join(root, `${name}-data`)}`, `--http-address=127.0.0.1:${http}`, '--wait', '--wait-interval=1h', `--compact.cleanup-interval=${cleanup}`, '--compact.progress-interval=200ms', ...COMMON]
      const p = bin === 'ours' ? startProcess(`thanosts-${name}`, 'node', [BIN, ...args]) : startProcess(`thanos-${name}`, peer('thanos').path, args)
      try {
        await waitForHttpOk(`http://127.0.0.1:${http}/-/ready`, p)
        await until('the first iteration', async () => (await metric(http, 'thanos_compact_iterations_total')) === 1, 120_000)
        const id = newUlid(Date.now() - 72 * HOUR)
        const some = (await readdir(dir)).find((n) => /^[0-9A-Z]{26}$/.test(n))!
        await cp(path.join(dir, some, 'index'), path.join(dir, id, 'index'))
        const old = new Date(Date.now() - 49 * HOUR)
        await utimes(path.join(dir, id, 'index'), old, old)
        let gone = false
        const end = Date.now() + 5_000
        while (!gone && Date.now() < end) {
          await new Promise((r) => setTimeout(r, 200))
          gone = !(await exists(path.join(dir, id)))
        }
        return {gone, loops: await metric(http, 'thanos_compact_block_cleanup_loops_total'), p}
      } finally {
        await p.stop()
      }
    }

    it('deletes an aborted partial upload between iterations, as thanos does; cleanup loops counted', async () => {
      const ours = await partialAfterFirstIteration('cleanup-ours', 'ours', '300ms')
      const theirs = await partialAfterFirstIteration('cleanup-thanos', 'thanos', '300ms')
      assert.ok(theirs.gone, `thanos deleted it: ${theirs.p.output()}`)
      assert.ok(ours.gone, `thanosts deleted it: ${ours.p.output()}`)
      assert.ok((ours.loops ?? 0) >= 3, `cleanup loops ${ours.loops}`)
      assert.match(ours.p.output(), /deleted aborted partial upload/)
    })

    it('0s turns the loop off: the partial upload waits for the next iteration, one cleanup per iteration', async () => {
      const ours = await partialAfterFirstIteration('cleanup-off-ours', 'ours', '0s')
      assert.ok(!ours.gone, ours.p.output())
      assert.equal(ours.loops, 1)
    })
  })

  it('--compact.progress-interval: thanos_compact_todo_* as thanos compact shows them, before and after a run', async () => {
    // 40 2h blocks over 80h: see test/core/compact/progress.test.ts for the expected counts.
    const base = path.join(root, 'progress-input')
    await uploadBackfilled(new FilesystemBucket({directory: base}), {
      series: [
        {metric: 'm', samples: samples(T0, 300_000, (80 * HOUR) / 300_000, (i) => i)},
        {metric: 'edge', samples: Array.from({length: 40}, (_, k) => [T0 + (k + 1) * 2 * HOUR - 1, k] as [number, number])},
      ],
      ext: {cluster: 'a'},
    })
    const names = ['thanos_compact_todo_compactions', 'thanos_compact_todo_compaction_blocks', 'thanos_compact_todo_deletion_blocks', 'thanos_compact_todo_downsample_blocks']
    /** One --wait run to its first iteration; the gauges (the progress of the start: the interval is 1h). */
    const run = async (bin: 'ours' | 'thanos', dir: string): Promise<(number | undefined)[]> => {
      const http = await freePort()
      const args = ['compact', `--objstore.config=${filesystemBucketYaml(dir)}`, `--data-dir=${dir}-data`, `--http-address=127.0.0.1:${http}`, '--wait', '--wait-interval=1h', '--compact.progress-interval=1h', '--retention.resolution-raw=2d', '--consistency-delay=0s', '--downsampling.disable']
      const p = bin === 'ours' ? startProcess('thanosts-progress', 'node', [BIN, ...args]) : startProcess('thanos-progress', peer('thanos').path, args)
      try {
        await waitForHttpOk(`http://127.0.0.1:${http}/-/ready`, p)
        await until('the first iteration', async () => (await metric(http, 'thanos_compact_iterations_total')) === 1, 120_000)
        return await Promise.all(names.map((n) => metric(http, n)))
      } finally {
        await p.stop()
      }
    }
    const [a, b] = [path.join(root, 'progress-ours'), path.join(root, 'progress-thanos')]
    await cp(base, a, {recursive: true})
    await cp(base, b, {recursive: true})
    const before = {ours: await run('ours', a), theirs: await run('thanos', b)}
    assert.deepEqual(before.ours, before.theirs)
    assert.deepEqual(before.ours, [10, 39, 40, undefined])
    assert.deepEqual(await liveShape(a), await liveShape(b))
    const after = {ours: await run('ours', a), theirs: await run('thanos', b)}
    assert.deepEqual(after.ours, after.theirs)
    assert.deepEqual(after.ours, [0, 0, 5, undefined])
  })

  it("--help: every flag is thanos compact's, with its default and help (compared with the peer's --help)", async () => {
    const theirsText = spawnSync(peer('thanos').path, ['compact', '--help'], {encoding: 'utf8'})
    const theirs = parseKingpinHelp(theirsText.stdout + theirsText.stderr)
    const ours = parseOclifHelp(spawnSync('node', [BIN, 'compact', '--help'], {encoding: 'utf8'}).stdout)
    assert.ok(theirs.size > 40, `parsed ${theirs.size} thanos flags`)
    for (const f of ['min-time', 'max-time', 'selector.relabel-config', 'selector.relabel-config-file', 'compact.cleanup-interval', 'compact.progress-interval', 'downsample.concurrency', 'block-files-concurrency', 'block-meta-fetch-concurrency', 'compact.blocks-fetch-concurrency']) {
      assert.ok(ours.has(f), `--${f} in our help`)
    }
    for (const [name, f] of ours) {
      const t = theirs.get(name)
      assert.ok(t, `--${name} is a thanos compact flag`)
      // An empty default: kingpin prints `--x=`, oclif prints none.
      assert.equal(f.default ?? '', t.default ?? '', `default of --${name}`)
      assert.equal(f.negatable, t.negatable, `--[no-]${name}`)
      // Ours may add a note on what thanosts does differently, after Thanos's text. log.format
      // is shared by every command and has no journald.
      if (name === 'log.format') continue
      assert.ok(f.description.startsWith(t.description), `help of --${name}:\n  ours:   ${f.description}\n  thanos: ${t.description}`)
    }
  })
})
