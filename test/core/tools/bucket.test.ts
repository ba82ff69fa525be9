/**
 * `thanosts tools bucket ls` and `inspect` against the real `thanos tools bucket ls/inspect` on
 * the same FILESYSTEM bucket: blocks written by Debian's promtool and shipped by our uploader
 * with external labels (one with commas and quotes, for CSV quoting), a plain Prometheus block
 * without a Thanos section, a block marked for deletion, metas rewritten to the downsampled
 * resolutions (5m, 1h) with large stats and a failed compaction, and two directories Thanos
 * skips (no meta.json, a corrupt one). Thanos runs with TZ=UTC: we print UTC, it prints local time.
 * Thanos's `ls` order is a Go map's, so ls outputs are compared as sets.
 */
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {mkdtemp, mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'
import {DELETION_MARK_FILENAME, writeMarker} from '../../../src/core/block/markers.js'
import {formatMeta, parseMeta, RESOLUTION_1H, RESOLUTION_5M} from '../../../src/core/block/meta.js'
import {newUlid, ulidTime} from '../../../src/core/block/ulid.js'
import {bucketFromConfig} from '../../../src/core/objstore/config.js'
import {FilesystemBucket} from '../../../src/core/objstore/filesystem.js'
import {uploadBackfilled} from '../../helpers/bucket-blocks.js'
import {samples, type SeriesSpec} from '../../helpers/openmetrics.js'
import {peer} from '../../helpers/peers.js'
import {startSeaweedS3, type SeaweedS3} from '../../helpers/s3.js'

const execFileP = promisify(execFile)

const HOUR = 3_600_000
/** 2024-01-01T12:00Z. */
const T0 = 1_704_110_400_000

interface Run {
  code: number
  stdout: string
  stderr: string
}

async function run(cmd: string, args: string[]): Promise<Run> {
  try {
    const {stdout, stderr} = await execFileP(cmd, args, {maxBuffer: 64 << 20, env: {...process.env, TZ: 'UTC'}})
    return {code: 0, stdout, stderr}
  } catch (e) {
    const err = e as {code?: number; stdout?: string; stderr?: string}
    return {code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? ''}
  }
}

function series(metric: string, n: number, startMs: number, hours: number, stepMs: number): SeriesSpec[] {
  return Array.from({length: n}, (_, s) => ({metric, type: 'gauge' as const, labels: {instance: `i${s}`}, samples: samples(startMs, stepMs, (hours * HOUR) / stepMs, (i) => i + s)}))
}

/** JSON documents of `ls -o json` (json.Encoder: one after another), by ULID. */
function jsonDocs(out: string): Map<string, string> {
  const m = new Map<string, string>()
  for (const text of out.split(/(?<=\n\}\n)/)) if (text.trim()) m.set((JSON.parse(text) as {ulid: string}).ulid, text)
  return m
}

function lines(out: string): string[] {
  return out.split('\n').filter((l) => l !== '')
}

describe('tools bucket ls and inspect against the real thanos tools bucket', function () {
  this.timeout(180_000)
  const thanos = peer('thanos').path
  let dir: string
  let cfg: string
  let all: string[]
  let marked: string
  let down5m: string
  let down1h: string
  let root: string

  const ours = (args: string[]) => run(process.execPath, ['bin/run.js', 'tools', 'bucket', ...args, `--objstore.config=${cfg}`, '--log.level=warn'])
  const theirs = (args: string[]) => run(thanos, ['tools', 'bucket', ...args, `--objstore.config=${cfg}`, '--log.level=warn'])
  async function both(args: string[]): Promise<[Run, Run]> {
    const [a, b] = await Promise.all([ours(args), theirs(args)])
    assert.equal(b.code, 0, `thanos ${args.join(' ')}: ${b.stderr}`)
    assert.equal(a.code, 0, `thanosts ${args.join(' ')}: ${a.stderr}`)
    return [a, b]
  }

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'thanosts-tools-'))
    root = path.join(dir, 'bucket')
    await mkdir(root)
    cfg = `type: FILESYSTEM\nconfig:\n  directory: ${root}\n`
    const bucket = new FilesystemBucket({directory: root})
    const eu = await uploadBackfilled(bucket, {series: series('load', 3, T0, 6, 60_000), ext: {cluster: 'eu1', replica: 'a'}})
    const odd = await uploadBackfilled(bucket, {series: series('temp', 2, T0 + 2 * HOUR, 2, 30_000), ext: {cluster: 'us, "west"', team: ' ops'}})
    const plain = await uploadBackfilled(bucket, {series: series('plain', 1, T0 + 8 * HOUR, 2, 15_000), ext: {}})
    assert.ok(eu.length >= 3 && odd.length >= 1 && plain.length === 1, `blocks: ${eu} ${odd} ${plain}`)
    marked = eu[1]!
    await writeMarker(bucket, DELETION_MARK_FILENAME, {id: marked, version: 1, deletion_time: Math.floor(Date.now() / 1000) - 60, details: 'test'})

    // Downsampled-looking metas (Thanos reads only meta.json here): other resolutions, big stats.
    const src = parseMeta(await readFile(path.join(root, eu[0]!, 'meta.json')), eu[0]!)
    const rewrite = async (resolution: number, level: number, failed: boolean, stats: Record<string, number>, maxTime: number) => {
      const id = newUlid(ulidTime(src.ulid) + resolution)
      const m = structuredClone(src)
      m.ulid = id
      m.maxTime = maxTime
      m.compaction = {level, sources: [src.ulid, id], ...(failed ? {failed: true} : {})}
      m.stats = stats
      m.thanos.downsample = {resolution}
      m.thanos.source = 'compactor'
      await mkdir(path.join(root, id))
      await writeFile(path.join(root, id, 'meta.json'), formatMeta(m))
      return id
    }
    down5m = await rewrite(RESOLUTION_5M, 3, true, {numSamples: 1_234_567_890, numSeries: 12_345, numChunks: 1000}, src.minTime + 48 * HOUR + 1)
    down1h = await rewrite(RESOLUTION_1H, 4, false, {numSamples: 999, numSeries: 1, numChunks: 1}, src.minTime + 14 * 24 * HOUR)
    // A raw block longer than 40h: its time until downsampling is negative.
    const long = await rewrite(0, 2, false, {numSamples: 5000, numSeries: 10, numChunks: 40}, src.minTime + 50 * HOUR + 250)

    // Skipped by both: a partial upload and a corrupt meta.json.
    await mkdir(path.join(root, newUlid(T0), 'chunks'), {recursive: true})
    const corrupt = newUlid(T0 + 1)
    await mkdir(path.join(root, corrupt))
    await writeFile(path.join(root, corrupt, 'meta.json'), '{"ulid": ')
    all = [...eu, ...odd, ...plain, down5m, down1h, long].sort()
  })

  after(async () => {
    if (dir) await rm(dir, {recursive: true, force: true})
  })

  it('ls prints the ULIDs of the blocks with a meta.json, as thanos', async () => {
    const [a, b] = await both(['ls'])
    assert.deepEqual(lines(a.stdout), all, 'ours: every block once, in ULID order')
    assert.deepEqual(lines(b.stdout).sort(), all)
  })

  it('ls -o wide prints the lines thanos prints', async () => {
    const [a, b] = await both(['ls', '-o', 'wide'])
    assert.equal(lines(a.stdout).length, all.length)
    assert.deepEqual(lines(a.stdout).sort(), lines(b.stdout).sort())
    assert.ok(a.stdout.includes(`${down5m} -- `) && a.stdout.includes('Downsample: 300000, Source: compactor'), a.stdout)
  })

  it('ls -o json prints each meta.json as thanos re-marshals it', async () => {
    const [a, b] = await both(['ls', '-o', 'json'])
    const mine = jsonDocs(a.stdout)
    const real = jsonDocs(b.stdout)
    assert.deepEqual([...mine.keys()], all)
    for (const id of all) assert.equal(mine.get(id), real.get(id), id)
  })

  it('ls --exclude-delete leaves the marked block out, as thanos', async () => {
    const [a, b] = await both(['ls', '--exclude-delete'])
    assert.deepEqual(lines(a.stdout), all.filter((id) => id !== marked))
    assert.deepEqual(lines(b.stdout).sort(), lines(a.stdout))
  })

  it('ls --min-time/--max-time keeps the blocks overlapping the range, as thanos', async () => {
    const args = ['ls', '-o', 'wide', '--min-time=2024-01-01T16:30:00Z', '--max-time=2024-01-01T19:00:00Z']
    const [a, b] = await both(args)
    const n = lines(a.stdout).length
    assert.ok(n > 0 && n < all.length, a.stdout)
    assert.deepEqual(lines(a.stdout).sort(), lines(b.stdout).sort())
  })

  it('ls --selector.relabel-config keeps the blocks the relabelling keeps, as thanos', async () => {
    for (const cfgText of [
      '- action: keep\n  source_labels: [cluster]\n  regex: eu.*',
      `- action: drop\n  source_labels: [__block_id]\n  regex: ${down5m}|${down1h}`,
      '- action: drop\n  source_labels: [cluster, team]\n  separator: "|"\n  regex: "us, .*[|] ops"',
      '- action: hashmod\n  source_labels: [__block_id]\n  target_label: shard\n  modulus: 2\n- action: keep\n  source_labels: [shard]\n  regex: "1"',
    ]) {
      const [a, b] = await both(['ls', `--selector.relabel-config=${cfgText}`])
      const n = lines(a.stdout).length
      assert.ok(n > 0 && n < all.length, `${cfgText}: ${a.stdout}`)
      assert.deepEqual(lines(a.stdout).sort(), lines(b.stdout).sort(), cfgText)
    }
  })

  for (const output of ['table', 'tsv', 'csv']) {
    it(`inspect --output ${output} prints what thanos prints`, async () => {
      const [a, b] = await both(['inspect', `--output=${output}`])
      assert.equal(a.stdout, b.stdout)
      assert.equal(lines(a.stdout).length, all.length + (output === 'table' ? 2 : 1))
    })
  }

  it('inspect sorts by the given columns and selects by external labels, as thanos', async () => {
    for (const args of [
      ['--sort-by=#SAMPLES', '--sort-by=ULID'],
      ['--sort-by=UNTIL-DOWN', '--sort-by=LABELS'],
      ['--sort-by=RESOLUTION', '--sort-by=RANGE', '--output=tsv'],
      ['-l', 'cluster="us, \\"west\\""', '--output=csv'],
      ['-l', 'cluster="eu1"', '-l', 'replica=`a`'],
      ['-l', 'cluster="none"'],
    ]) {
      const [a, b] = await both(['inspect', ...args])
      assert.equal(a.stdout, b.stdout, args.join(' '))
    }
  })

  it('inspect prints a negative time until downsampling as Go does', async () => {
    const {stdout} = await ours(['inspect', '--output=tsv'])
    assert.match(stdout, /\t50h0m0\.25s\t-10h0m0\.25s\t/)
  })

  it('inspect --output json (a thanosts extension) holds the rows of the table, in order', async () => {
    const [tsv] = await both(['inspect', '--output=tsv'])
    const json = await ours(['inspect', '--output=json'])
    assert.equal(json.code, 0, json.stderr)
    const rows = lines(tsv.stdout).slice(1).map((l) => l.split('\t'))
    const list = JSON.parse(json.stdout) as Array<{ulid: string; from: string; range: string; untilDown: string | null; samples: number; compactionFailed: boolean; labels: Record<string, string>; source: string}>
    assert.deepEqual(
      list.map((x) => x.ulid),
      rows.map((r) => r[0]),
    )
    for (const [i, x] of list.entries()) {
      const r = rows[i]!
      assert.deepEqual([x.from, x.range, x.untilDown ?? '-', x.samples.toLocaleString('en-US'), String(x.compactionFailed), x.source], [r[1], r[3], r[4], r[6], r[9], r[12]])
    }
    assert.deepEqual(list.find((x) => x.ulid === down5m)?.labels, {cluster: 'eu1', replica: 'a'})
  })

  it("--help lists thanos's ls and inspect flags with their defaults", async () => {
    const flagsOf = (help: string) => new Map([...help.matchAll(/^\s+(?:-\w, )?--(?:\[no-\])?([a-z0-9.-]+)(?:=(\S*))?/gm)].map((m) => [m[1]!, m[2] ?? '']))
    const global = flagsOf((await run(thanos, ['tools', 'bucket', '--help'])).stderr + (await run(thanos, ['tools', 'bucket', '--help'])).stdout)
    for (const cmd of ['ls', 'inspect']) {
      const t = await run(thanos, ['tools', 'bucket', cmd, '--help'])
      const theirsFlags = flagsOf(t.stdout + t.stderr)
      const mine = (await run(process.execPath, ['bin/run.js', 'tools', 'bucket', cmd, '--help'])).stdout
      let n = 0
      for (const [name, def] of theirsFlags) {
        if (global.has(name) && !name.startsWith('objstore.')) continue
        n++
        assert.ok(mine.includes(`--${name}`), `${cmd}: --${name} in our help`)
        if (def && !def.startsWith('<') && !def.endsWith('...') && def !== '""') assert.ok(mine.includes(`[default: ${def}]`), `${cmd}: --${name} default ${def}`)
      }
      assert.ok(n >= 5, `${cmd}: ${[...theirsFlags.keys()]}`)
    }
  })

  it('refuses a bad bucket config (exit 1), a missing one, a Go template and a bad selector (exit 2)', async () => {
    const bad = await run(process.execPath, ['bin/run.js', 'tools', 'bucket', 'ls', '--objstore.config=type: FILESYSTEM\nconfig:\n  directroy: /x\n'])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /directroy/)
    const none = await run(process.execPath, ['bin/run.js', 'tools', 'bucket', 'inspect'])
    assert.equal(none.code, 2)
    assert.match(none.stderr, /objstore\.config-file or objstore\.config is required/)
    const tmpl = await ours(['ls', '-o', '{{.ULID}}'])
    assert.equal(tmpl.code, 2)
    assert.match(tmpl.stderr, /Go templates .* not supported/)
    assert.equal(tmpl.stdout, '')
    const sel = await ours(['inspect', '-l', 'cluster=eu1'])
    assert.equal(sel.code, 2)
    assert.match(sel.stderr, /error parsing selector flag: unquote label value/)
    for (const bad of ['- action: replace\n  target_label: x', '- action: hashmod\n  source_labels: [a]\n  target_label: s', '- action: keep\n  regex: "(["']) {
      const [a, b] = await Promise.all([ours(['ls', `--selector.relabel-config=${bad}`]), theirs(['ls', `--selector.relabel-config=${bad}`])])
      assert.notEqual(b.code, 0, `thanos accepted ${bad}`)
      assert.notEqual(a.code, 0, `thanosts accepted ${bad}`)
      assert.equal(a.stdout, '')
    }
  })

  describe('on an S3 bucket (SeaweedFS)', () => {
    let s3: SeaweedS3
    let s3cfg: string

    before(async function () {
      this.timeout(180_000)
      s3 = await startSeaweedS3()
      s3cfg = s3.objstoreYaml()
      const from = new FilesystemBucket({directory: root})
      const to = bucketFromConfig(s3cfg)
      try {
        for await (const key of from.iter('', {recursive: true})) await to.upload(key, await from.get(key))
      } finally {
        await to.close()
      }
    })

    after(async () => {
      await s3?.stop()
    })

    it('ls -o json and inspect print what thanos prints', async () => {
      for (const args of [['ls', '-o', 'json', '--exclude-delete'], ['inspect', '--output=tsv']]) {
        const [a, b] = await Promise.all([
          run(process.execPath, ['bin/run.js', 'tools', 'bucket', ...args, `--objstore.config=${s3cfg}`, '--log.level=warn']),
          run(thanos, ['tools', 'bucket', ...args, `--objstore.config=${s3cfg}`, '--log.level=warn']),
        ])
        assert.equal(b.code, 0, b.stderr)
        assert.equal(a.code, 0, a.stderr)
        if (args[0] === 'ls') {
          const mine = jsonDocs(a.stdout)
          assert.deepEqual([...mine.keys()], all.filter((id) => id !== marked))
          assert.deepEqual(mine, jsonDocs(b.stdout))
        } else {
          assert.equal(lines(a.stdout).length, all.length + 1)
          assert.equal(a.stdout, b.stdout)
        }
      }
    })
  })
})
