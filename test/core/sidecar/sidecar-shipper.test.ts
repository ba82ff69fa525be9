/**
 * The sidecar with a bucket: Thanos's check of Prometheus's flags (same messages as the real
 * thanos sidecar in front of the same Prometheus), the shipper starting after the external
 * labels and taking up changed ones, and stopping while an upload is in flight.
 */
import assert from 'node:assert/strict'
import {cp, mkdtemp, readdir, readFile, rename, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {createLogger} from '../../../src/core/log.js'
import {bucketFromConfig} from '../../../src/core/objstore/config.js'
import {FilesystemBucket} from '../../../src/core/objstore/filesystem.js'
import {checkPrometheusFlags, parsePrometheusFlags, validatePrometheusFlags} from '../../../src/core/sidecar/prometheus-flags.js'
import type {RunningSidecar} from '../../../src/core/sidecar/sidecar.js'
import {startHoldProxy} from '../../helpers/hold-proxy.js'
import {toOpenMetrics, samples} from '../../helpers/openmetrics.js'
import {peer, prometheus3} from '../../helpers/peers.js'
import {freePort} from '../../helpers/ports.js'
import {startProcess, waitForHttpOk} from '../../helpers/process.js'
import {backfill, startPrometheus, type PrometheusHandle} from '../../helpers/prometheus.js'
import {startSeaweedS3, type SeaweedS3} from '../../helpers/s3.js'
import {startSidecar} from '../../helpers/sidecar.js'
import {assertShipped, completeBlocks, HOUR, localMetas, pollFor, startShipperPrometheus, type ShipperPrometheus} from '../shipper/fixtures.js'

const LABELS = {cluster: 'eu1', replica: '0'}
const fsYaml = (dir: string): string => `type: FILESYSTEM\nconfig:\n  directory: ${dir}\n`

/** Log lines as data, for asserting on warnings. */
function capturingLogger(): {logger: ReturnType<typeof createLogger>; lines: string[]} {
  const lines: string[] = []
  return {logger: createLogger({level: 'debug', write: (l) => lines.push(l)}), lines}
}

/** The error a real thanos sidecar logs when it refuses Prometheus's flags (it retries forever). */
async function thanosFlagError(prom: {url: string}, tsdbPath: string, bucketDir: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'thanosts-thanos-flags-'))
  const cfg = path.join(dir, 'objstore.yml')
  await writeFile(cfg, fsYaml(bucketDir))
  const [http, grpc] = [await freePort(), await freePort()]
  const mp = startProcess('thanos-sidecar', peer('thanos').path, [
    'sidecar',
    `--prometheus.url=${prom.url}`,
    `--http-address=127.0.0.1:${http}`,
    `--grpc-address=127.0.0.1:${grpc}`,
    `--tsdb.path=${tsdbPath}`,
    `--objstore.config-file=${cfg}`,
    '--prometheus.get_config_interval=500ms',
  ])
  try {
    const line = await pollFor(async () => mp.output().split('\n').find((l) => l.includes('failed to validate prometheus flags')), 30_000, 'thanos sidecar to refuse the flags')
    const ready = await fetch(`http://127.0.0.1:${http}/-/ready`).then((r) => r.status)
    assert.equal(ready, 503, 'the thanos sidecar does not get ready')
    return /err="((?:[^"\\]|\\.)*)"/.exec(line)![1]!.replace(/\\(.)/g, '$1')
  } finally {
    await mp.stop()
    await rm(dir, {recursive: true, force: true})
  }
}

describe('sidecar: Prometheus flag check before shipping', function () {
  this.timeout(120_000)
  let compacting: PrometheusHandle
  let delayed: PrometheusHandle
  let work: string

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'thanosts-sidecar-flags-'))
    ;[compacting, delayed] = await Promise.all([
      // Prometheus's defaults: 2h blocks compacted up to 31d.
      startPrometheus({version: 3, externalLabels: LABELS}),
      startPrometheus({version: 3, externalLabels: LABELS, extraArgs: [`--storage.tsdb.delay-compact-file.path=${path.join(work, 'elsewhere.json')}`]}),
    ])
  })

  after(async () => {
    await Promise.all([compacting?.stop(), delayed?.stop()])
    if (work) await rm(work, {recursive: true, force: true})
  })

  const shipperCfg = (prom: PrometheusHandle, extra = {}) => ({tsdbPath: path.join(prom.dir, 'data'), objstoreConfig: fsYaml(path.join(work, 'bucket')), ...extra})

  it('refuses a Prometheus that compacts, with the message of the real thanos sidecar', async () => {
    const want = 'found that TSDB Max time is 31d and Min time is 2h. Compaction needs to be disabled (storage.tsdb.min-block-duration = storage.tsdb.max-block-duration)'
    assert.equal(await thanosFlagError(compacting, path.join(compacting.dir, 'data'), path.join(work, 'bucket')), want)
    const t0 = Date.now()
    await assert.rejects(
      startSidecar(compacting, {readyTimeoutMs: 2000, getConfigIntervalMs: 300, shipper: shipperCfg(compacting)}),
      (e: Error) => e.message === `failed to validate prometheus flags: ${want}`,
    )
    assert.ok(Date.now() - t0 < 10_000)
  })

  it('refuses a delay-compact file that is not the shipper file, with the message of the real thanos sidecar', async () => {
    const tsdb = path.join(delayed.dir, 'data')
    const want = `found that Prometheus and Thanos use different paths for tracking block uploads. Prometheus uses --storage.tsdb.delay-compact-file.path=${path.join(work, 'elsewhere.json')} while Thanos will write to ${tsdb}/thanos.shipper.json, they must both use the same path.`
    assert.equal(await thanosFlagError(delayed, tsdb, path.join(work, 'bucket')), want)
    await assert.rejects(startSidecar(delayed, {readyTimeoutMs: 1500, getConfigIntervalMs: 300, shipper: shipperCfg(delayed)}), (e: Error) => e.message === `failed to validate prometheus flags: ${want}`)
    // The same file under --shipper.meta-file-name, given relative to an equal --tsdb.path, passes.
    const sc = await startSidecar(delayed, {readyTimeoutMs: 5000, shipper: {...shipperCfg(delayed), tsdbPath: `${tsdb}/./`, metaFileName: path.relative(tsdb, path.join(work, 'elsewhere.json'))}})
    await sc.lifecycle.stop()
  })

  it('without a bucket nothing is checked; with --shipper.ignore-unequal-block-size it warns and ships', async () => {
    const plain = await startSidecar(compacting, {readyTimeoutMs: 5000, shipper: {tsdbPath: path.join(compacting.dir, 'data')}})
    await plain.lifecycle.stop()
    const {logger, lines} = capturingLogger()
    const sc = await startSidecar(compacting, {readyTimeoutMs: 5000, logger, shipper: shipperCfg(compacting, {ignoreUnequalBlockSize: true})})
    await sc.lifecycle.stop()
    assert.ok(lines.some((l) => l.includes('flag to ignore Prometheus min/max block duration flags differing is being used')), lines.join('\n'))
    assert.ok(!lines.some((l) => l.includes('not 2h')), 'min-block-duration is 2h')
  })

  it('a Prometheus without the flags endpoint (404) is not checked', async () => {
    // A real 404: Prometheus under a route prefix answers 404 outside it.
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    await writeFile(path.join(work, 'prefixed.yml'), 'global: {}\n')
    const mp = startProcess('prometheus-prefixed', prometheus3().prometheus, [
      `--config.file=${path.join(work, 'prefixed.yml')}`,
      `--storage.tsdb.path=${path.join(work, 'prefixed-data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.route-prefix=/prom',
      '--log.level=warn',
    ])
    try {
      await waitForHttpOk(`${url}/prom/-/ready`, mp)
      assert.equal((await fetch(`${url}/api/v1/status/flags`)).status, 404)
      const {logger, lines} = capturingLogger()
      await validatePrometheusFlags(url, {tsdbPath: 'data', metaFileName: 'thanos.shipper.json', ignoreUnequalBlockSize: false, logger, timeoutMs: 5000})
      assert.ok(lines.some((l) => l.includes('failed to check Prometheus flags, due to potentially older Prometheus. No extra validation is done.')), lines.join('\n'))
      // Under its prefix the same Prometheus is checked (and refused: it compacts).
      await assert.rejects(validatePrometheusFlags(`${url}/prom`, {tsdbPath: 'data', metaFileName: 'thanos.shipper.json', ignoreUnequalBlockSize: false, logger, timeoutMs: 5000}), /Compaction needs to be disabled/)
    } finally {
      await mp.stop()
    }
  })

  it('reads the durations as Prometheus prints them and warns about blocks other than 2h', async () => {
    const r = await fetch(`${compacting.url}/api/v1/status/flags`)
    const flags = parsePrometheusFlags(await r.text())
    assert.deepEqual(flags, {minBlockDuration: 2 * HOUR, maxBlockDuration: 31 * 24 * HOUR, delayCompactFilePath: ''})
    const {logger, lines} = capturingLogger()
    checkPrometheusFlags({minBlockDuration: 5 * 60_000, maxBlockDuration: 5 * 60_000, delayCompactFilePath: ''}, {tsdbPath: 'data', metaFileName: 'thanos.shipper.json', ignoreUnequalBlockSize: false, logger})
    assert.ok(lines.some((l) => l.includes('found that TSDB block time is not 2h. Only 2h block time is recommended.') && l.includes('block-time=5m')), lines.join('\n'))
    assert.throws(
      () => checkPrometheusFlags({minBlockDuration: 2 * HOUR, maxBlockDuration: 90 * 60_000 + 1500, delayCompactFilePath: ''}, {tsdbPath: 'data', metaFileName: 'x', ignoreUnequalBlockSize: false, logger}),
      /^BadDataError: found that TSDB Max time is 1h30m1s500ms and Min time is 2h\./,
    )
  })
})

describe('sidecar: the shipper in its lifecycle', function () {
  this.timeout(180_000)
  let p: ShipperPrometheus
  let work: string
  let sc: RunningSidecar | undefined

  before(async () => {
    p = await startShipperPrometheus(3, LABELS)
    work = await mkdtemp(path.join(tmpdir(), 'thanosts-sidecar-shipper-'))
  })

  after(async () => {
    await sc?.lifecycle.stop()
    await p?.prom.stop()
    if (work) await rm(work, {recursive: true, force: true})
  })

  it('ships with the external labels of the moment: after a reload with new labels, new blocks carry them', async () => {
    const bucketDir = path.join(work, 'labels')
    const bucket = new FilesystemBucket({directory: bucketDir})
    sc = await startSidecar(p.prom, {getConfigIntervalMs: 300, shipper: {tsdbPath: p.dataDir, objstoreConfig: fsYaml(bucketDir), syncIntervalMs: 300}})
    await pollFor(async () => ((await completeBlocks(bucket)).length === 5 ? true : undefined), 30_000, 'five uploads')

    const cfg = p.prom.configObject() as {global: {external_labels: Record<string, string>}}
    cfg.global.external_labels = {cluster: 'eu1', replica: '1'}
    await p.prom.writeConfig(cfg)
    assert.equal((await fetch(`${p.prom.url}/-/reload`, {method: 'POST'})).status, 200)
    await pollFor(async () => (sc!.state.externalLabels.some((l) => l.name === 'replica' && l.value === '1') ? true : undefined), 10_000, 'the sidecar to see the new labels')

    // A block that appears now (promtool's, moved in as Prometheus moves a finished block in place).
    const extra = path.join(work, 'extra')
    await backfill(toOpenMetrics([{metric: 'late', samples: samples(Date.UTC(2024, 5, 1), 60_000, 60, (i) => i)}]), extra, work)
    const [id] = (await readdir(extra)).filter((n) => /^[0-9A-Z]{26}$/.test(n))
    await cp(path.join(extra, id!), path.join(p.dataDir, `${id}.tmp-for-creation`), {recursive: true})
    const t0 = Date.now()
    await rename(path.join(p.dataDir, `${id}.tmp-for-creation`), path.join(p.dataDir, id!))
    await pollFor(async () => ((await completeBlocks(bucket)).includes(id!) ? true : undefined), 30_000, 'the new block to be shipped')
    await assertShipped(bucket, p.dataDir, id!, {labels: {cluster: 'eu1', replica: '1'}, after: t0, before: Date.now()})
    for (const m of p.cut) {
      const meta = JSON.parse((await bucket.get(`${m.ulid}/meta.json`)).toString()) as {thanos: {labels: unknown}}
      assert.deepEqual(meta.thanos.labels, LABELS, 'blocks shipped before keep the labels of then')
    }
    await sc.lifecycle.stop()
    sc = undefined
    await rm(path.join(p.dataDir, id!), {recursive: true})
    cfg.global.external_labels = LABELS
    await p.prom.writeConfig(cfg)
    await fetch(`${p.prom.url}/-/reload`, {method: 'POST'})
  })

  it('stopping during an upload aborts it: no meta.json, nothing recorded, the hard links removed; the next run ships it whole', async () => {
    let s3: SeaweedS3 | undefined
    const proxy = await startHoldProxy('127.0.0.1:1')
    try {
      s3 = await startSeaweedS3()
      proxy.retarget(s3.endpoint)
      const yamlText = s3.objstoreYaml({extra: {region: 'us-east-1'}}).replace(`endpoint: ${s3.endpoint}`, `endpoint: ${proxy.endpoint}`)
      const bucket = bucketFromConfig(s3.objstoreYaml({extra: {region: 'us-east-1'}}))
      const first = (await localMetas(p.dataDir))[0]!.ulid
      const held = proxy.hold((r) => r.method === 'PUT' && r.url === `/thanos/${first}/index`)
      const metaFileName = 'abort.shipper.json'
      sc = await startSidecar(p.prom, {getConfigIntervalMs: 300, shipper: {tsdbPath: p.dataDir, objstoreConfig: yamlText, syncIntervalMs: 300, metaFileName}})
      await held
      assert.ok(await bucket.exists(`${first}/chunks/000001`), 'the chunks went up before the index')
      const t0 = Date.now()
      await sc.lifecycle.stop()
      sc = undefined
      assert.ok(Date.now() - t0 < 5000, `stop took ${Date.now() - t0} ms`)
      assert.equal(await bucket.exists(`${first}/meta.json`), false)
      assert.equal(await bucket.exists(`${first}/index`), false)
      await assert.rejects(readFile(path.join(p.dataDir, metaFileName)), /ENOENT/)
      assert.deepEqual(await readdir(path.join(p.dataDir, 'thanos', 'upload')), [])
      proxy.release()

      const t1 = Date.now()
      sc = await startSidecar(p.prom, {getConfigIntervalMs: 300, shipper: {tsdbPath: p.dataDir, objstoreConfig: yamlText, syncIntervalMs: 300, metaFileName}})
      await pollFor(async () => ((await completeBlocks(bucket)).length === 5 ? true : undefined), 30_000, 'five uploads')
      await assertShipped(bucket, p.dataDir, first, {labels: LABELS, after: t1, before: Date.now()})
      await sc.lifecycle.stop()
      sc = undefined
      await bucket.close()
    } finally {
      await sc?.lifecycle.stop()
      sc = undefined
      await proxy.close()
      await s3?.stop()
    }
  })
})

