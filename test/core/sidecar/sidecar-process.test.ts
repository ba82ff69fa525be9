/**
 * `thanosts sidecar` as a process (node bin/run.js sidecar ...) shipping a big block (a chunk
 * segment of several MiB, uploaded to S3 on a real SeaweedFS in multipart at part_size 5 MiB)
 * and stopped in the middle of it, at the request that uploads the index (held by a proxy on
 * the way, so the moment is known, not guessed):
 * - SIGTERM: the process exits 0 quickly, the block has no meta.json;
 * - SIGKILL: a partial block (chunks, no meta.json) stays in the bucket, and a real
 *   `thanos tools bucket ls` does not list it;
 * - the next run uploads the block whole, and `thanos tools bucket ls` lists it.
 */
import assert from 'node:assert/strict'
import {mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {bucketFromConfig} from '../../../src/core/objstore/config.js'
import type {Bucket} from '../../../src/core/objstore/bucket.js'
import {startHoldProxy, type HoldProxy} from '../../helpers/hold-proxy.js'
import {samples, type SeriesSpec} from '../../helpers/openmetrics.js'
import {startProcess, type ManagedProcess} from '../../helpers/process.js'
import {startPrometheus, type PrometheusHandle} from '../../helpers/prometheus.js'
import {startSeaweedS3, type SeaweedS3} from '../../helpers/s3.js'
import {thanosBucketLs} from '../objstore/thanos-ls.js'
import {assertShipped, bucketKeys, completeBlocks, HOUR, localMetas, pollFor, type RawMeta} from '../shipper/fixtures.js'

const LABELS = {cluster: 'eu1', replica: '0'}
const T = Date.UTC(2024, 2, 1)
const PART = 5 * 1024 * 1024

/** A small block [T, T+2h) and a big one [T+2h, T+4h): 500 series every 3 s of incompressible values. */
function data(): SeriesSpec[] {
  let x = 0x9e3779b9
  const rnd = (): number => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 2 ** 32
  }
  const big = Array.from({length: 500}, (_, k) => ({metric: 'noise', labels: {k: String(k).padStart(3, '0')}, samples: samples(T + 2 * HOUR, 3000, (2 * HOUR) / 3000, () => rnd() * 1e6)}))
  return [{metric: 'small', samples: samples(T, 60_000, 60, (i) => i)}, ...big]
}

describe('thanosts sidecar process stopped in the middle of a big upload', function () {
  this.timeout(300_000)
  let prom: PrometheusHandle
  let s3: SeaweedS3
  let proxy: HoldProxy
  let work: string
  let cfgFile: string
  let bucket: Bucket
  let lsYaml: string
  let small: RawMeta
  let big: RawMeta
  let sidecar: ManagedProcess | undefined
  let dataDir: string

  before(async () => {
    ;[prom, s3] = await Promise.all([
      startPrometheus({version: 3, externalLabels: LABELS, series: data(), extraArgs: ['--storage.tsdb.min-block-duration=2h', '--storage.tsdb.max-block-duration=2h']}),
      startSeaweedS3(),
    ])
    dataDir = path.join(prom.dir, 'data')
    ;[small, big] = (await localMetas(dataDir)) as [RawMeta, RawMeta]
    const segSize = (await stat(path.join(dataDir, big.ulid, 'chunks', '000001'))).size
    assert.ok(segSize > PART, `the big block spans several parts: ${segSize} bytes, ${JSON.stringify(await localMetas(dataDir))}`)
    proxy = await startHoldProxy(s3.endpoint)
    work = await mkdtemp(path.join(tmpdir(), 'thanosts-sidecar-process-'))
    cfgFile = path.join(work, 'objstore.yml')
    const direct = s3.objstoreYaml({extra: {region: 'us-east-1'}})
    await writeFile(cfgFile, direct.replace(`endpoint: ${s3.endpoint}`, `endpoint: ${proxy.endpoint}`).replace('config:\n', `config:\n  part_size: ${PART}\n`))
    bucket = bucketFromConfig(direct)
    lsYaml = direct
  })

  after(async () => {
    await sidecar?.stop()
    await proxy?.close()
    await bucket?.close()
    await Promise.all([prom?.stop(), s3?.stop()])
    if (work) await rm(work, {recursive: true, force: true})
  })

  function startSidecarProcess(): ManagedProcess {
    return startProcess('thanosts-sidecar', process.execPath, [
      'bin/run.js',
      'sidecar',
      `--prometheus.url=${prom.url}`,
      '--grpc-address=127.0.0.1:0',
      '--http-address=127.0.0.1:0',
      `--tsdb.path=${dataDir}`,
      `--objstore.config-file=${cfgFile}`,
      '--prometheus.get_config_interval=1s',
    ])
  }

  const bigIndexPut = (r: {method: string; url: string}): boolean => r.method === 'PUT' && r.url === `/thanos/${big.ulid}/index`

  it('SIGTERM while the index is on its way: exits 0 at once, no meta.json', async () => {
    const held = proxy.hold(bigIndexPut)
    sidecar = startSidecarProcess()
    await Promise.race([held, sidecar.waitExit().then((c) => assert.fail(`sidecar exited (${c}) before uploading:\n${sidecar!.output()}`))])
    // The segment went up in parts before the index.
    assert.ok(proxy.requests.some((r) => r.method === 'PUT' && r.url.startsWith(`/thanos/${big.ulid}/chunks/000001?partNumber=2&`)), 'multipart upload of the segment')
    assert.deepEqual(await completeBlocks(bucket), [small.ulid])
    const t0 = Date.now()
    process.kill(sidecar.pid, 'SIGTERM')
    assert.equal(await sidecar.waitExit(), 0, sidecar.output())
    assert.ok(Date.now() - t0 < 10_000, `exit took ${Date.now() - t0} ms`)
    assert.match(sidecar.output(), /caught signal, exiting/)
    assert.equal(await bucket.exists(`${big.ulid}/meta.json`), false)
    proxy.release()
  })

  it('SIGKILL while the index is on its way: a partial block that thanos tools bucket ls does not list', async () => {
    await bucket.delete(`${big.ulid}/chunks/000001`)
    const held = proxy.hold(bigIndexPut)
    sidecar = startSidecarProcess()
    await Promise.race([held, sidecar.waitExit().then((c) => assert.fail(`sidecar exited (${c}):\n${sidecar!.output()}`))])
    process.kill(sidecar.pid, 'SIGKILL')
    assert.equal(await sidecar.waitExit(), 'SIGKILL')
    proxy.release()
    assert.deepEqual(await bucketKeys(bucket, big.ulid), [`${big.ulid}/chunks/000001`], 'the partial block: its segment, no index, no meta.json')
    const listed = await thanosBucketLs(lsYaml)
    assert.deepEqual(
      listed.map((b) => b.ulid),
      [small.ulid],
    )
  })

  it('the next run uploads the big block whole, and Thanos lists it', async () => {
    const t0 = Date.now()
    sidecar = startSidecarProcess()
    await pollFor(async () => ((await completeBlocks(bucket)).length === 2 ? true : undefined), 60_000, 'the big block to be shipped')
    await assertShipped(bucket, dataDir, big.ulid, {labels: LABELS, after: t0, before: Date.now()})
    const listed = await thanosBucketLs(lsYaml)
    assert.deepEqual(listed.map((b) => b.ulid).sort(), [small.ulid, big.ulid].sort())
    assert.deepEqual(listed.find((b) => b.ulid === big.ulid)!.thanos.labels, LABELS)
    await pollFor(async () => ((await readFile(path.join(dataDir, 'thanos.shipper.json'), 'utf8').catch(() => '')).includes(big.ulid) ? true : undefined), 30_000, 'the record')
    process.kill(sidecar.pid, 'SIGTERM')
    assert.equal(await sidecar.waitExit(), 0)
    sidecar = undefined
  })
})
