/**
 * Prometheus 3 with compaction on and `--storage.tsdb.delay-compact-file.path` pointing at our
 * shipper's file (prometheus `cmd/prometheus/main.go` exludeBlocksPendingUpload): it compacts a
 * level-1 block only once thanos.shipper.json lists it as uploaded, so nothing is compacted
 * away before it reached the bucket. The data: five backfilled 2h blocks over [T, T+10h) with
 * T on an 18h boundary, which Prometheus 3 compacts into a level-2 [T, T+6h) block at once when
 * nothing holds it back (see test/core/block/prometheus-compacted.test.ts). Then
 * --shipper.upload-compacted on that real level-2 block: refused where it overlaps uploaded
 * blocks (with the same message as the real thanos sidecar), shipped into an empty bucket.
 */
import assert from 'node:assert/strict'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {Registry} from 'prom-client'
import {labelsFromRecord} from '../../../src/core/labels/labels.js'
import {nopLogger} from '../../../src/core/log.js'
import {FilesystemBucket} from '../../../src/core/objstore/filesystem.js'
import {Shipper} from '../../../src/core/shipper/shipper.js'
import type {RunningSidecar} from '../../../src/core/sidecar/sidecar.js'
import {samples} from '../../helpers/openmetrics.js'
import {toOpenMetrics} from '../../helpers/openmetrics.js'
import {prometheus3, startThanosSidecar} from '../../helpers/peers.js'
import {freePort} from '../../helpers/ports.js'
import {startProcess, waitForHttpOk, type ManagedProcess} from '../../helpers/process.js'
import {backfill} from '../../helpers/prometheus.js'
import {startSidecar} from '../../helpers/sidecar.js'
import {assertShipped, completeBlocks, HOUR, localMetas, metricValue, pollFor, shipperFileText, type RawMeta} from './fixtures.js'

const LABELS = {cluster: 'eu1', replica: '0'}
/** 2024-01-01T12:00Z: a multiple of 18h, so Prometheus's 6h compaction windows start here. */
const T = 1_704_110_400_000

async function promMetric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)
  return m ? Number(m[1]) : NaN
}

describe('Prometheus 3 delays compaction until our thanos.shipper.json lists the blocks', function () {
  this.timeout(400_000)
  let work: string
  let dataDir: string
  let url: string
  let prom: ManagedProcess | undefined
  let sidecar: RunningSidecar | undefined
  let sources: RawMeta[]
  let compacted: RawMeta
  const fsYaml = (dir: string): string => `type: FILESYSTEM\nconfig:\n  directory: ${dir}\n`

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'thanosts-shipper-delay-'))
    dataDir = path.join(work, 'data')
    const series = ['a', 'b'].map((k, j) => ({metric: 'load', labels: {k}, samples: samples(T, 60_000, (10 * HOUR) / 60_000, (i) => i * (j + 1) + 0.5)}))
    await backfill(toOpenMetrics(series), dataDir, work, prometheus3().promtool)
    sources = await localMetas(dataDir)
    assert.equal(sources.length, 5)
    // What our shipper writes before it uploaded anything: without the file Prometheus would not wait.
    await writeFile(path.join(dataDir, 'thanos.shipper.json'), shipperFileText(null))
    const cfg = path.join(work, 'prometheus.yml')
    await writeFile(cfg, `global:\n  external_labels:\n    cluster: eu1\n    replica: "0"\n`)
    const port = await freePort()
    url = `http://127.0.0.1:${port}`
    prom = startProcess(`prometheus:${port}`, prometheus3().prometheus, [
      `--config.file=${cfg}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=100y',
      `--storage.tsdb.delay-compact-file.path=${path.join(dataDir, 'thanos.shipper.json')}`,
      '--storage.tsdb.block-reload-interval=1s',
      '--log.level=warn',
    ])
    await waitForHttpOk(`${url}/-/ready`, prom)
  })

  after(async () => {
    await sidecar?.lifecycle.stop()
    await prom?.stop()
    if (work) await rm(work, {recursive: true, force: true})
  })

  it('nothing is compacted while the file lists no block', async () => {
    const t0 = await promMetric(url, 'prometheus_tsdb_compactions_triggered_total')
    await pollFor(async () => ((await promMetric(url, 'prometheus_tsdb_compactions_triggered_total')) >= t0 + 5 ? true : undefined), 60_000, 'five compaction cycles')
    assert.deepEqual(
      (await localMetas(dataDir)).map((m) => [m.ulid, m.compaction.level]),
      sources.map((m) => [m.ulid, 1]),
    )
  })

  it('once our sidecar shipped them, Prometheus compacts, and the compacted sources drop out of the file', async () => {
    const bucketDir = path.join(work, 'bucket')
    sidecar = await startSidecar({url}, {getConfigIntervalMs: 500, shipper: {tsdbPath: dataDir, objstoreConfig: fsYaml(bucketDir), syncIntervalMs: 500}})
    const bucket = new FilesystemBucket({directory: bucketDir})
    await pollFor(async () => ((await completeBlocks(bucket)).length === 5 ? true : undefined), 30_000, 'five uploads')
    // Prometheus re-reads the file at most once a minute.
    compacted = await pollFor(async () => (await localMetas(dataDir)).find((m) => m.compaction.level === 2), 180_000, 'Prometheus to compact')
    assert.equal(compacted.minTime, sources[0]!.minTime)
    assert.equal(compacted.maxTime, sources[2]!.maxTime)
    assert.ok(compacted.maxTime <= T + 6 * HOUR)
    assert.deepEqual([...compacted.compaction.sources!].sort(), sources.slice(0, 3).map((m) => m.ulid).sort())
    await pollFor(
      async () => ((await readFile(path.join(dataDir, 'thanos.shipper.json'), 'utf8')) === shipperFileText(sources.slice(3).map((m) => m.ulid)) ? true : undefined),
      60_000,
      'the record to keep only the two remaining level-1 blocks',
    )
    assert.deepEqual(await completeBlocks(bucket), sources.map((m) => m.ulid).sort(), 'the compacted block is not shipped without --shipper.upload-compacted')
    // The sidecar's own /metrics carries the shipper's.
    const text = await (await fetch(`http://127.0.0.1:${sidecar.httpPort}/metrics`)).text()
    assert.match(text, /^thanos_shipper_uploads_total 5$/m)
    assert.match(text, /^thanos_shipper_upload_compacted_done 0$/m)
    assert.match(text, /^thanos_shipper_dir_sync_failures_total 0$/m)
    assert.match(text, /^# HELP thanos_shipper_dir_syncs_total Total number of dir syncs$/m)
    await sidecar.lifecycle.stop()
    sidecar = undefined
  })

  it('--shipper.upload-compacted refuses a compacted block that overlaps shipped ones, with Thanos\'s message', async () => {
    const bucketDir = path.join(work, 'bucket')
    const ours = new Shipper({
      bucket: new FilesystemBucket({directory: bucketDir}),
      dir: dataDir,
      labels: () => labelsFromRecord(LABELS),
      source: 'sidecar',
      logger: nopLogger,
      uploadCompacted: true,
    })
    const err = await ours.sync().then(
      () => assert.fail('uploaded an overlapping compacted block'),
      (e: Error) => e.message,
    )
    const prefix = `Found overlap or error during sync, cannot upload compacted block, details: shipping compacted block ${compacted.ulid} is blocked; overlap spotted: `
    assert.ok(err.startsWith(prefix), err)
    // One overlap per source, each with the compacted block first (tsdb Overlaps.String()).
    const groups = err.slice(prefix.length).split('\n')
    assert.equal(groups.length, 3)
    for (const s of sources.slice(0, 3)) {
      assert.ok(groups.some((g) => g.includes(`<ulid: ${compacted.ulid}, `) && g.endsWith(`<ulid: ${s.ulid}, mint: ${s.minTime}, maxt: ${s.maxTime}, range: 1h59m0s>`)), `${s.ulid} in ${err}`)
    }

    const thanos = await startThanosSidecar({url}, {tsdbPath: dataDir, objstoreConfig: fsYaml(bucketDir), extraArgs: ['--shipper.upload-compacted']})
    try {
      const line = await pollFor(async () => thanos.output().split('\n').find((l) => l.includes('shipping compacted block')), 60_000, 'the thanos sidecar to refuse')
      const theirs = /err="((?:[^"\\]|\\.)*)"/.exec(line)![1]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
      // Go prints the groups in map order: compare them as a set.
      const split = (x: string): string[] => [x.slice(0, prefix.length), ...x.slice(prefix.length).split('\n').sort()]
      assert.deepEqual(split(err), split(theirs))
    } finally {
      await thanos.stop()
    }
  })

  it('--shipper.upload-compacted ships the real level-2 block into an empty bucket', async () => {
    const bucketDir = path.join(work, 'fresh')
    const registry = new Registry()
    const ours = new Shipper({
      bucket: new FilesystemBucket({directory: bucketDir}),
      dir: dataDir,
      labels: () => labelsFromRecord(LABELS),
      source: 'sidecar',
      logger: nopLogger,
      uploadCompacted: true,
      metaFileName: 'fresh.shipper.json',
      registry,
    })
    const t0 = Date.now()
    assert.equal(await ours.sync(), 3)
    const bucket = new FilesystemBucket({directory: bucketDir})
    assert.deepEqual(await completeBlocks(bucket), [compacted.ulid, ...sources.slice(3).map((m) => m.ulid)].sort())
    const meta = await assertShipped(bucket, dataDir, compacted.ulid, {labels: LABELS, after: t0, before: Date.now()})
    assert.equal((meta.compaction as {level: number}).level, 2)
    assert.equal(await metricValue(registry, 'thanos_shipper_upload_compacted_done'), 1)
  })
})
