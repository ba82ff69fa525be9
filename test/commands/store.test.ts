/** `thanosts store` as a user runs it: the real CLI entry over a FILESYSTEM bucket of promtool blocks. */
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'
import {Matcher, MatchType} from '../../src/core/labels/matcher.js'
import {FilesystemBucket} from '../../src/core/objstore/filesystem.js'
import {StoreClient} from '../../src/core/storeapi/store-client.js'
import {storeSamples, uploadBackfilled} from '../helpers/bucket-blocks.js'
import {samples} from '../helpers/openmetrics.js'
import {freePort} from '../helpers/ports.js'
import {startProcess, waitForHttpOk} from '../helpers/process.js'
import {BIN} from '../helpers/cli.js'

const execFileP = promisify(execFile)
const HOUR = 3_600_000
const T0 = Date.UTC(2024, 0, 1, 12)

describe('thanosts CLI: store', function () {
  this.timeout(60_000)
  let dir: string
  let bucketYaml: string

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'thanosts-store-cli-'))
    const bucketDir = path.join(dir, 'bucket')
    await uploadBackfilled(new FilesystemBucket({directory: bucketDir}), {
      series: [{metric: 'up', labels: {job: 'api'}, samples: samples(T0, 60_000, (3 * HOUR) / 60_000, (i) => i)}],
      ext: {cluster: 'c1', replica: '0'},
    })
    bucketYaml = path.join(dir, 'bucket.yml')
    await writeFile(bucketYaml, `type: FILESYSTEM\nconfig:\n  directory: ${bucketDir}\n`)
  })

  after(() => rm(dir, {recursive: true, force: true}))

  it('--help lists thanos store\'s flags with their defaults', async () => {
    const {stdout} = await execFileP('node', [BIN, 'store', '--help'])
    for (const [flag, def] of [
      ['--grpc-address', '0.0.0.0:10901'],
      ['--http-address', '0.0.0.0:10902'],
      ['--data-dir', './data'],
      ['--sync-block-duration', '15m'],
      ['--block-sync-concurrency', '20'],
      ['--min-time', '0000-01-01T00:00:00Z'],
      ['--max-time', '9999-12-31T23:59:59Z'],
      ['--ignore-deletion-marks-delay', '24h'],
      ['--log.level', 'info'],
    ]) {
      assert.ok(stdout.includes(flag), `${flag} in help`)
      assert.ok(stdout.includes(`[default: ${def}]`), `default ${def} shown`)
    }
    for (const flag of ['--objstore.config-file', '--objstore.config', '--store.grpc.series-sample-limit', '--log.format']) assert.ok(stdout.includes(flag), flag)
  })

  it('without a bucket configuration: exit 1 naming the flags', async () => {
    const p = startProcess('store-nocfg', 'node', [BIN, 'store', '--grpc-address', `127.0.0.1:${await freePort()}`, '--http-address', `127.0.0.1:${await freePort()}`])
    assert.equal(await p.waitExit(), 1)
    assert.match(p.output(), /objstore\.config-file or objstore\.config is required/)
  })

  it('bad times: a value that is neither exits 2, --min-time after --max-time exits 1', async () => {
    await assert.rejects(execFileP('node', [BIN, 'store', '--objstore.config-file', bucketYaml, '--min-time', 'yesterday']), (e: {code?: number; stderr?: string}) => e.code === 2 && /invalid --min-time/.test(e.stderr ?? ''))
    const p = startProcess('store-times', 'node', [BIN, 'store', '--objstore.config-file', bucketYaml, '--min-time', '-1y', '--max-time', '-2y', '--http-address', `127.0.0.1:${await freePort()}`])
    assert.equal(await p.waitExit(), 1)
    assert.match(p.output(), /can't be greater than --max-time/)
  })

  it('serves the bucket over the StoreAPI, metrics and probes; exits 0 on SIGTERM', async () => {
    const [g, h] = [await freePort(), await freePort()]
    const p = startProcess('store', 'node', [
      BIN, 'store', '--objstore.config-file', bucketYaml, '--grpc-address', `127.0.0.1:${g}`, '--http-address', `127.0.0.1:${h}`, '--grpc-grace-period', '1s', '--http-grace-period', '1s', '--log.format', 'json',
    ])
    await waitForHttpOk(`http://127.0.0.1:${h}/-/ready`, p)
    const client = new StoreClient(`127.0.0.1:${g}`)
    try {
      const info = await client.info({timeoutMs: 5000})
      assert.equal(info.componentType, 'store')
      assert.deepEqual(info.labelSets, [[{name: 'cluster', value: 'c1'}, {name: 'replica', value: '0'}]])
      assert.equal(info.store?.minTime, T0)
      const got = []
      for await (const f of client.series({minTime: T0, maxTime: T0 + 3 * HOUR, matchers: [new Matcher(MatchType.EQ, '__name__', 'up')], partialResponse: false}, new AbortController().signal)) if (f.series) got.push(f.series)
      assert.equal(got.length, 1)
      assert.deepEqual(got[0]!.labels.map((l) => `${l.name}=${l.value}`), ['__name__=up', 'cluster=c1', 'job=api', 'replica=0'])
      assert.deepEqual(storeSamples(got[0]!).map((s) => s.v), samples(T0, 60_000, (3 * HOUR) / 60_000, (i) => i).map(([, v]) => v))
    } finally {
      client.close()
    }
    const metrics = await (await fetch(`http://127.0.0.1:${h}/metrics`)).text()
    assert.match(metrics, /^thanos_bucket_store_blocks_loaded 2$/m)
    assert.match(metrics, /^thanos_blocks_meta_synced\{state="loaded"\} 2$/m)
    process.kill(p.pid, 'SIGTERM')
    assert.equal(await p.waitExit(), 0)
    const lines = p.output().split('\n').filter((l) => l.startsWith('{'))
    assert.ok(lines.some((l) => JSON.parse(l).msg === 'bucket store ready'))
  })
})
