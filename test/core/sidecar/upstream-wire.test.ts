/**
 * The strongest compatibility check available without a Thanos binary: a raw gRPC client that
 * speaks to our sidecar exactly as an upstream Thanos querier would. Requests are ENCODED and
 * responses DECODED with protobufjs types built from the upstream .proto files
 * (shared/reference/upstream-protos, gogoproto options stripped as they only affect Go), so
 * none of our own codec is on the client side of this test.
 */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import * as grpc from '@grpc/grpc-js'
import protobuf from 'protobufjs'
import {decodeXorChunk} from '../../../src/core/chunkenc/index.js'
import {sameFloatBits} from '../../../src/core/chunkenc/value.js'
import type {RunningSidecar} from '../../../src/core/sidecar/sidecar.js'
import {samples, type SeriesSpec} from '../../helpers/openmetrics.js'
import {startPrometheus, type PrometheusHandle} from '../../helpers/prometheus.js'
import {startSidecar} from '../../helpers/sidecar.js'

const here = dirname(fileURLToPath(import.meta.url))
// dist/test/core/sidecar → repo root → ../shared
const PROTOS = join(here, '..', '..', '..', '..', '..', 'shared', 'reference', 'upstream-protos', 'thanos')

function loadUpstream(): protobuf.Root {
  const root = new protobuf.Root()
  const common = (protobuf as unknown as {common: Record<string, {nested: protobuf.INamespace['nested']}>}).common
  root.addJSON(common['google/protobuf/any.proto']!.nested!)
  for (const f of ['store/labelpb/types.proto', 'store/storepb/prompb/types.proto', 'store/storepb/types.proto', 'store/storepb/rpc.proto', 'info/infopb/rpc.proto']) {
    const text = readFileSync(join(PROTOS, f), 'utf8')
      .replace(/^import .*;$/gm, '')
      .replace(/^option \(gogoproto[^;]*;$/gm, '')
      .replace(/\[\s*\(gogoproto[^\]]*\]/g, '')
    protobuf.parse(text, root, {keepCase: true})
  }
  root.resolveAll()
  return root
}

const T0 = Date.UTC(2024, 0, 1)
const STEP = 15_000
const N = 300
const SERIES: SeriesSpec[] = [
  {metric: 'up', type: 'gauge', labels: {job: 'node', instance: 'x'}, samples: samples(T0, STEP, N, (i) => (i % 7 === 0 ? 0 : 1))},
  {metric: 'up', type: 'gauge', labels: {job: 'node', instance: 'y'}, samples: samples(T0, STEP, N, (i) => i / 3)},
]

type Obj = Record<string, unknown>
const passthrough = {serialize: (b: Buffer) => b, deserialize: (b: Buffer) => b}

describe('sidecar on the wire, as an upstream Thanos querier sees it', function () {
  this.timeout(60_000)
  let prom: PrometheusHandle
  let sidecar: RunningSidecar
  let client: grpc.Client
  let root: protobuf.Root

  const encode = (type: string, obj: Obj): Buffer => {
    const T = root.lookupType(type)
    // fromObject (not verify) so int64 fields may be given as decimal strings, as toObject gives them back.
    return Buffer.from(T.encode(T.fromObject(obj)).finish())
  }
  const decode = (type: string, b: Buffer): Obj => {
    const T = root.lookupType(type)
    return T.toObject(T.decode(b), {longs: String, enums: String, defaults: true, bytes: Buffer as unknown as typeof String}) as Obj
  }
  const unary = (path: string, req: Buffer): Promise<Buffer> =>
    new Promise((resolve, reject) =>
      client.makeUnaryRequest(path, passthrough.serialize, passthrough.deserialize, req, (err, res) => (err ? reject(err) : resolve(res!))),
    )
  const stream = (path: string, req: Buffer): Promise<Buffer[]> =>
    new Promise((resolve, reject) => {
      const out: Buffer[] = []
      const call = client.makeServerStreamRequest(path, passthrough.serialize, passthrough.deserialize, req)
      call.on('data', (b: Buffer) => out.push(b))
      call.on('error', reject)
      call.on('end', () => resolve(out))
    })

  before(async function () {
    root = loadUpstream()
    prom = await startPrometheus({externalLabels: {region: 'eu', replica: 'r1'}, series: SERIES})
    sidecar = await startSidecar(prom, {getConfigIntervalMs: 300})
    client = new grpc.Client(`127.0.0.1:${sidecar.grpcPort}`, grpc.credentials.createInsecure())
  })
  after(async function () {
    client?.close()
    await sidecar?.lifecycle.stop()
    await prom?.stop()
  })

  it('/thanos.info.Info/Info decodes with upstream InfoResponse: sidecar, external label set, store API', async function () {
    const res = decode('thanos.info.InfoResponse', await unary('/thanos.info.Info/Info', encode('thanos.info.InfoRequest', {})))
    assert.equal(res.ComponentType, 'sidecar')
    assert.deepEqual(res.label_sets, [{labels: [{name: 'region', value: 'eu'}, {name: 'replica', value: 'r1'}]}])
    const store = res.store as Obj
    assert.ok(store, 'store info announced')
    assert.equal(store.max_time, '9223372036854775807')
    // Prometheus's lowest timestamp is the first backfilled sample (or earlier block boundary).
    assert.ok(BigInt(store.min_time as string) <= BigInt(T0), `min_time ${store.min_time}`)
    assert.ok(BigInt(store.min_time as string) > 0n)
    assert.equal(store.supports_without_replica_labels, true)
    assert.equal(store.supports_sharding, false)
    // The other APIs of the global view are announced as Thanos's sidecar announces them
    // (test/core/sidecar/globalview.test.ts calls them); nothing is advertised that is not served.
    for (const k of ['rules', 'metric_metadata', 'targets']) assert.deepEqual(res[k], {}, k)
    assert.deepEqual(res.exemplars, {min_time: '0', max_time: '0'})
    for (const k of ['query', 'status']) assert.equal(res[k] ?? null, null, k)
  })

  it('/thanos.Store/Series decodes with upstream SeriesResponse: sorted labels, XOR chunks with every sample', async function () {
    const req = encode('thanos.SeriesRequest', {
      min_time: String(T0),
      max_time: String(T0 + N * STEP),
      matchers: [{type: 'EQ', name: '__name__', value: 'up'}],
      without_replica_labels: ['replica'],
      partial_response_strategy: 'ABORT',
    })
    const frames = (await stream('/thanos.Store/Series', req)).map((b) => decode('thanos.SeriesResponse', b))
    const series = frames.filter((f) => f.series).map((f) => f.series as Obj)
    assert.equal(series.length, 2)
    for (const [k, s] of series.entries()) {
      const labels = s.labels as {name: string; value: string}[]
      assert.deepEqual(labels, [
        {name: '__name__', value: 'up'},
        {name: 'instance', value: k === 0 ? 'x' : 'y'},
        {name: 'job', value: 'node'},
        {name: 'region', value: 'eu'},
      ])
      const want = SERIES[k]!.samples
      const got: [number, number][] = []
      let prevMax = -Infinity
      for (const c of s.chunks as Obj[]) {
        const raw = c.raw as Obj
        assert.equal(raw.type, 'XOR')
        assert.ok(Number(c.min_time) > prevMax && Number(c.min_time) <= Number(c.max_time), 'chunks ordered, non-overlapping')
        prevMax = Number(c.max_time)
        const it = decodeXorChunk(new Uint8Array(raw.data as Buffer))
        let first = true
        while (it.next()) {
          if (first) assert.equal(it.atT(), Number(c.min_time))
          first = false
          got.push([it.atT(), it.at()])
        }
        assert.equal(got[got.length - 1]![0], Number(c.max_time))
      }
      assert.equal(got.length, want.length)
      got.forEach(([t, v], i) => {
        assert.equal(t, want[i]![0])
        assert.ok(sameFloatBits(v, want[i]![1]), `sample ${i}: ${v} vs ${want[i]![1]}`)
      })
    }
  })

  it('/thanos.Store/Series with skip_chunks and a non-matching external label', async function () {
    const labelsOnly = (await stream('/thanos.Store/Series', encode('thanos.SeriesRequest', {
      min_time: String(T0), max_time: String(T0 + N * STEP), skip_chunks: true,
      matchers: [{type: 'RE', name: 'instance', value: 'x|z'}],
    }))).map((b) => decode('thanos.SeriesResponse', b))
    const ss = labelsOnly.filter((f) => f.series).map((f) => f.series as Obj)
    assert.equal(ss.length, 1)
    assert.deepEqual(ss[0]!.chunks, [])
    assert.ok((ss[0]!.labels as Obj[]).some((l) => l.name === 'replica' && l.value === 'r1'))

    // Only empty-matching matchers: fine for the StoreAPI although Prometheus's HTTP API refuses them as match[].
    const notY = (await stream('/thanos.Store/Series', encode('thanos.SeriesRequest', {
      min_time: String(T0), max_time: String(T0 + N * STEP), skip_chunks: true,
      matchers: [{type: 'NEQ', name: 'instance', value: 'y'}],
    }))).map((b) => decode('thanos.SeriesResponse', b)).filter((f) => f.series)
    assert.deepEqual(notY.map((f) => ((f.series as Obj).labels as Obj[]).find((l) => l.name === 'instance')?.value), ['x'])

    const none = await stream('/thanos.Store/Series', encode('thanos.SeriesRequest', {
      min_time: String(T0), max_time: String(T0 + N * STEP),
      matchers: [{type: 'EQ', name: '__name__', value: 'up'}, {type: 'EQ', name: 'region', value: 'us'}],
    }))
    assert.equal(none.filter((b) => decode('thanos.SeriesResponse', b).series).length, 0)
  })

  it('/thanos.Store/LabelNames and LabelValues decode with upstream responses', async function () {
    const names = decode('thanos.LabelNamesResponse', await unary('/thanos.Store/LabelNames', encode('thanos.LabelNamesRequest', {
      start: String(T0), end: String(T0 + N * STEP), without_replica_labels: ['replica'],
    })))
    assert.deepEqual(names.names, ['__name__', 'instance', 'job', 'region'])
    const values = decode('thanos.LabelValuesResponse', await unary('/thanos.Store/LabelValues', encode('thanos.LabelValuesRequest', {
      label: 'instance', start: String(T0), end: String(T0 + N * STEP),
      matchers: [{type: 'NEQ', name: 'instance', value: 'y'}],
    })))
    assert.deepEqual(values.values, ['x'])
    const ext = decode('thanos.LabelValuesResponse', await unary('/thanos.Store/LabelValues', encode('thanos.LabelValuesRequest', {
      label: 'region', start: String(T0), end: String(T0 + N * STEP),
    })))
    assert.deepEqual(ext.values, ['eu'])
  })

  it('a bad regex comes back as gRPC InvalidArgument', async function () {
    await assert.rejects(
      stream('/thanos.Store/Series', encode('thanos.SeriesRequest', {
        min_time: String(T0), max_time: String(T0 + N * STEP), matchers: [{type: 'RE', name: 'job', value: '(unclosed'}],
      })),
      (e: grpc.ServiceError) => e.code === grpc.status.INVALID_ARGUMENT,
    )
  })

  it('/metrics counts the calls above by service, method and code, with latencies', async function () {
    const text = await (await fetch(`http://127.0.0.1:${sidecar.httpPort}/metrics`)).text()
    const count = (labels: string): number => Number(new RegExp(`^grpc_server_handled_total\\{${labels}\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0)
    assert.ok(count('grpc_service="thanos.Store",grpc_method="Series",grpc_code="OK"') >= 3, text)
    assert.equal(count('grpc_service="thanos.Store",grpc_method="Series",grpc_code="InvalidArgument"'), 1)
    assert.equal(count('grpc_service="thanos.Store",grpc_method="LabelValues",grpc_code="OK"'), 2)
    assert.match(text, /^grpc_server_handling_seconds_count\{grpc_service="thanos.Store",grpc_method="LabelNames"\} 1$/m)
    assert.match(text, /^thanos_sidecar_prometheus_up 1$/m)
    assert.match(text, /^thanos_sidecar_last_heartbeat_success_time_seconds \d/m)
  })
})
