/**
 * Our sidecar's uploads against real Thanos, both ways: a real `thanos sidecar` ships the
 * same Prometheus's blocks into a second bucket and its objects must equal ours (meta.json
 * field by field and line by line, upload_time aside; every other object byte for byte; the
 * shipper file byte for byte); and a real `thanos store` serves what we uploaded to a real
 * `thanos query`, which must answer as Prometheus itself does over the same range.
 */
import assert from 'node:assert/strict'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {FilesystemBucket} from '../../../src/core/objstore/filesystem.js'
import type {RunningSidecar} from '../../../src/core/sidecar/sidecar.js'
import {peer, startPeer, startThanosQuery, startThanosSidecar, type PeerProcess, type ThanosQueryHandle} from '../../helpers/peers.js'
import {freePort} from '../../helpers/ports.js'
import {apiPost} from '../../helpers/prom-api.js'
import {startSidecar} from '../../helpers/sidecar.js'
import {bucketKeys, completeBlocks, HOUR, pollFor, startShipperPrometheus, T0, type RawMeta, type ShipperPrometheus} from './fixtures.js'

const LABELS = {cluster: 'eu1', replica: '0'}
const fsYaml = (dir: string): string => `type: FILESYSTEM\nconfig:\n  directory: ${dir}\n`

async function shipWithOurs(p: ShipperPrometheus, bucketDir: string): Promise<void> {
  let sc: RunningSidecar | undefined
  try {
    sc = await startSidecar(p.prom, {getConfigIntervalMs: 500, shipper: {tsdbPath: p.dataDir, objstoreConfig: fsYaml(bucketDir), syncIntervalMs: 500}})
    const bucket = new FilesystemBucket({directory: bucketDir})
    await pollFor(async () => ((await completeBlocks(bucket)).length === 5 ? true : undefined), 60_000, 'our sidecar to ship five blocks')
  } finally {
    await sc?.lifecycle.stop()
  }
}

async function shipWithThanos(p: ShipperPrometheus, bucketDir: string): Promise<void> {
  const t = await startThanosSidecar(p.prom, {tsdbPath: p.dataDir, objstoreConfig: fsYaml(bucketDir), extraArgs: ['--shipper.meta-file-name=thanos-real.shipper.json']})
  try {
    const bucket = new FilesystemBucket({directory: bucketDir})
    await pollFor(async () => ((await completeBlocks(bucket)).length === 5 ? true : undefined), 90_000, 'thanos sidecar to ship five blocks')
  } finally {
    await t.stop()
  }
}

for (const version of [2, 3] as const) {
  describe(`our sidecar and a real thanos sidecar ship the same blocks of Prometheus ${version === 2 ? '2.42' : '3'}`, function () {
    this.timeout(240_000)
    let p: ShipperPrometheus
    let work: string

    before(async () => {
      p = await startShipperPrometheus(version, LABELS)
      work = await mkdtemp(path.join(tmpdir(), 'thanosts-shipper-interop-'))
      // One after the other: both hard-link into <tsdb>/thanos/upload/<ULID>.
      await shipWithOurs(p, path.join(work, 'ours'))
      await shipWithThanos(p, path.join(work, 'thanos'))
    })

    after(async () => {
      await p?.prom.stop()
      if (work) await rm(work, {recursive: true, force: true})
    })

    it('the same objects: meta.json equal but for upload_time, the rest byte for byte', async () => {
      const ours = new FilesystemBucket({directory: path.join(work, 'ours')})
      const theirs = new FilesystemBucket({directory: path.join(work, 'thanos')})
      const keys = await bucketKeys(ours)
      assert.deepEqual(keys, await bucketKeys(theirs))
      assert.equal(keys.filter((k) => k.endsWith('/meta.json')).length, 5)
      for (const k of keys) {
        const [a, b] = [await ours.get(k), await theirs.get(k)]
        if (!k.endsWith('/meta.json')) {
          assert.ok(a.equals(b), `${k} differs`)
          continue
        }
        const [ma, mb] = [JSON.parse(a.toString()) as RawMeta & {thanos: Record<string, unknown>}, JSON.parse(b.toString()) as RawMeta & {thanos: Record<string, unknown>}]
        assert.match(String(ma.thanos.upload_time), /Z$/)
        assert.match(String(mb.thanos.upload_time), /Z$/)
        ma.thanos.upload_time = mb.thanos.upload_time = 'x'
        assert.deepEqual(ma, mb, `${k} fields`)
        const lines = (t: Buffer): string => t.toString().replace(/"upload_time": "[^"]*"/, '"upload_time": ""')
        assert.equal(lines(a), lines(b), `${k} text`)
      }
    })

    it('the same shipper file', async () => {
      assert.equal(await readFile(path.join(p.dataDir, 'thanos.shipper.json'), 'utf8'), await readFile(path.join(p.dataDir, 'thanos-real.shipper.json'), 'utf8'))
    })
  })
}

describe('a real thanos store and thanos query over the blocks our sidecar shipped', function () {
  this.timeout(240_000)
  let p: ShipperPrometheus
  let work: string
  let store: PeerProcess | undefined
  let query: ThanosQueryHandle | undefined

  before(async () => {
    p = await startShipperPrometheus(3, LABELS)
    work = await mkdtemp(path.join(tmpdir(), 'thanosts-shipper-store-'))
    const bucketDir = path.join(work, 'bucket')
    await shipWithOurs(p, bucketDir)
    const cfg = path.join(work, 'objstore.yml')
    await writeFile(cfg, fsYaml(bucketDir))
    const [grpc, http] = [await freePort(), await freePort()]
    store = await startPeer(
      'thanos-store',
      peer('thanos').path,
      ['store', `--data-dir=${path.join(work, 'store')}`, `--objstore.config-file=${cfg}`, `--grpc-address=127.0.0.1:${grpc}`, `--http-address=127.0.0.1:${http}`, '--log.level=warn'],
      `http://127.0.0.1:${http}/-/ready`,
    )
    query = await startThanosQuery({endpoints: [`127.0.0.1:${grpc}`]})
  })

  after(async () => {
    await query?.stop()
    await store?.stop()
    await p?.prom.stop()
    if (work) await rm(work, {recursive: true, force: true})
  })

  /** Raw samples of `selector` over (end - range, end], from both, keyed by label set. */
  async function compareRaw(selector: string, startMs: number, endMs: number): Promise<number> {
    const params = {query: `${selector}[${endMs - startMs + 1}ms]`, time: String(endMs / 1000)}
    const [fromProm, fromThanos] = await Promise.all([apiPost(p.prom.url, '/api/v1/query', params), apiPost(query!.url, '/api/v1/query', params)])
    assert.equal(fromProm.code, 200, fromProm.text)
    assert.equal(fromThanos.code, 200, fromThanos.text)
    type Series = {metric: Record<string, string>; values: [number, string][]}
    const key = (m: Record<string, string>): string => JSON.stringify(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : 1)))
    const want = new Map((fromProm.body.data as {result: Series[]}).result.map((s) => [key({...s.metric, ...LABELS}), s.values]))
    const got = new Map((fromThanos.body.data as {result: Series[]}).result.map((s) => [key(s.metric), s.values]))
    assert.ok(want.size > 0, 'Prometheus has data there')
    assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort())
    let n = 0
    for (const [k, v] of want) {
      // Values as Prometheus prints them (strconv 'f', -1): equal text is equal float64 bits
      // for every value but NaN payloads, which both print as NaN.
      assert.deepEqual(got.get(k), v, k)
      n += v.length
    }
    return n
  }

  it('backfilled blocks: every raw sample equal to Prometheus, with the external labels added', async () => {
    const n = await compareRaw('{__name__=~"http_requests_total|temperature"}', T0, T0 + 6 * HOUR - 1)
    assert.equal(n, 2 * 1440 + 720)
  })

  it("blocks Prometheus cut itself: every raw sample equal", async () => {
    const start = p.cut[0]!.minTime
    const end = p.cut[p.cut.length - 1]!.maxTime - 1
    const n = await compareRaw('queue_depth', start, end)
    assert.ok(n > 0)
  })
})
