/**
 * Our proto/ files against upstream's (../shared/reference/upstream-protos): every message's
 * fields (name, number, type, repeated), oneofs, every enum's values, every service's methods
 * with request/response types and streaming flags. A difference here means a real Thanos or
 * Prometheus would misread our bytes.
 */
import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import protobuf from 'protobufjs'
import {prometheusRoot, protoDir, thanosRoot} from '../../../src/core/storepb/proto-root.js'

const repoRoot = path.dirname(protoDir())
const upstreamDir = path.resolve(repoRoot, '../shared/reference/upstream-protos')

/** Parses upstream files into one root with gogoproto imports and options removed (Go-only). */
function loadUpstream(dir: string, files: string[]): protobuf.Root {
  const root = new protobuf.Root()
  for (const f of files) {
    const src = readFileSync(path.join(dir, f), 'utf8')
      .replace(/^import "gogoproto\/gogo.proto";$/m, '')
      .replace(/^import "google\/protobuf\/any.proto";$/m, '')
      .replace(/^option \(gogoproto\.[^;]*;$/gm, '')
      .replace(/\s*\[\(gogoproto\.[^\]]*\]/g, '')
      .replace(/^import "[^"]*";$/gm, '')
    protobuf.parse(src, root, {keepCase: true})
  }
  // google.protobuf.Any and Timestamp (well-known types, the same definitions protobufjs resolves for our files)
  protobuf.parse(
    'syntax = "proto3"; package google.protobuf; message Any { string type_url = 1; bytes value = 2; } message Timestamp { int64 seconds = 1; int32 nanos = 2; }',
    root,
    {keepCase: true},
  )
  root.resolveAll()
  return root
}

interface Shape {
  messages: Map<string, string[]>
  enums: Map<string, string[]>
  services: Map<string, string[]>
}

function describe_(root: protobuf.Root, packages: string[]): Shape {
  const shape: Shape = {messages: new Map(), enums: new Map(), services: new Map()}
  const walk = (ns: protobuf.NamespaceBase): void => {
    for (const obj of ns.nestedArray) {
      const full = obj.fullName.replace(/^\./, '')
      if (!packages.some((p) => full.startsWith(p + '.'))) {
        if (obj instanceof protobuf.Namespace && !(obj instanceof protobuf.Type) && !(obj instanceof protobuf.Service)) walk(obj)
        continue
      }
      if (obj instanceof protobuf.Type) {
        const fields = obj.fieldsArray.map(
          (f) =>
            `${f.id} ${f.name} ${f.repeated ? 'repeated ' : ''}${f instanceof protobuf.MapField ? `map<${f.keyType}> ` : ''}${f.resolvedType ? f.resolvedType.fullName : f.type}${f.partOf ? ` oneof:${f.partOf.name}` : ''}`,
        )
        shape.messages.set(full, fields.sort())
        walk(obj)
      } else if (obj instanceof protobuf.Enum) {
        shape.enums.set(full, Object.entries(obj.values).map(([k, v]) => `${k}=${v}`).sort())
      } else if (obj instanceof protobuf.Service) {
        shape.services.set(
          full,
          obj.methodsArray
            .map((m) => {
              m.resolve()
              return `${m.name}(${m.requestStream ? 'stream ' : ''}${m.resolvedRequestType!.fullName}) → ${m.responseStream ? 'stream ' : ''}${m.resolvedResponseType!.fullName}`
            })
            .sort(),
        )
      } else if (obj instanceof protobuf.Namespace) {
        walk(obj)
      }
    }
  }
  walk(root)
  return shape
}

function assertSameShape(ours: Shape, theirs: Shape): void {
  for (const kind of ['messages', 'enums', 'services'] as const) {
    assert.deepEqual([...ours[kind].keys()].sort(), [...theirs[kind].keys()].sort(), `${kind}: same set of names`)
    for (const [name, desc] of theirs[kind]) assert.deepEqual(ours[kind].get(name), desc, `${kind} ${name}`)
  }
}

describe('proto conformance with upstream', function () {
  before(function () {
    if (!existsSync(upstreamDir)) throw new Error(`upstream protos not found at ${upstreamDir}`)
  })

  it('prometheus remote read/write protos match prometheus/prometheus prompb', function () {
    const theirs = loadUpstream(path.join(upstreamDir, 'prometheus'), ['types.proto', 'remote.proto'])
    const a = describe_(prometheusRoot(), ['prometheus'])
    const b = describe_(theirs, ['prometheus'])
    assert.ok(b.messages.size >= 15, 'upstream parsed')
    assertSameShape(a, b)
  })

  it('thanos StoreAPI, Info, Rules, Targets, Metadata, Exemplars and prometheus_copy protos match thanos-io/thanos', function () {
    const dir = path.join(upstreamDir, 'thanos')
    const theirs = loadUpstream(dir, [
      'store/labelpb/types.proto',
      'store/storepb/prompb/types.proto',
      'store/storepb/prompb/remote.proto',
      'store/storepb/types.proto',
      'store/storepb/rpc.proto',
      'info/infopb/rpc.proto',
      'rules/rulespb/rpc.proto',
      'targets/targetspb/rpc.proto',
      'metadata/metadatapb/rpc.proto',
      'exemplars/exemplarspb/rpc.proto',
    ])
    const a = describe_(thanosRoot(), ['thanos', 'prometheus_copy', 'google.protobuf'])
    const b = describe_(theirs, ['thanos', 'prometheus_copy', 'google.protobuf'])
    for (const s of ['thanos.Store', 'thanos.info.Info', 'thanos.Rules', 'thanos.Targets', 'thanos.Metadata', 'thanos.Exemplars']) assert.ok(b.services.has(s), `upstream parsed: ${s}`)
    // the map field is compared as its key and value types
    assert.deepEqual(b.messages.get('thanos.MetricMetadata'), ['1 metadata map<string> .thanos.MetricMetadataEntry'], 'upstream map field parsed')
    assertSameShape(a, b)
  })

  it('gRPC paths are /thanos.Store/Series (server streaming) and /thanos.info.Info/Info', function () {
    const store = thanosRoot().lookupService('thanos.Store')
    assert.equal(store.methods.Series!.responseStream, true)
    assert.equal(store.methods.Series!.requestStream ?? false, false)
    assert.ok(thanosRoot().lookupService('thanos.info.Info').methods.Info)
  })

  it('Rules, Targets, Metadata and Exemplars are server-streaming at their upstream paths', function () {
    const want = {'thanos.Rules': 'Rules', 'thanos.Targets': 'Targets', 'thanos.Metadata': 'MetricMetadata', 'thanos.Exemplars': 'Exemplars'}
    for (const [service, method] of Object.entries(want)) {
      const m = thanosRoot().lookupService(service).methods[method]
      assert.ok(m, `/${service}/${method}`)
      assert.equal(m.responseStream, true, `/${service}/${method} streams`)
      assert.equal(m.requestStream ?? false, false)
    }
  })

  it('bytes written with our types decode identically with upstream types and back', function () {
    const theirs = loadUpstream(path.join(upstreamDir, 'thanos'), [
      'store/labelpb/types.proto',
      'store/storepb/prompb/types.proto',
      'store/storepb/types.proto',
      'store/storepb/rpc.proto',
      'info/infopb/rpc.proto',
    ])
    const msg = {
      series: {
        labels: [{name: '__name__', value: 'up'}, {name: 'replica', value: '0'}],
        chunks: [{min_time: 1000, max_time: 2000, raw: {type: 0, data: Buffer.from([0, 1, 2, 3]), hash: 42}}],
      },
    }
    const ours = thanosRoot().lookupType('thanos.SeriesResponse')
    const up = theirs.lookupType('thanos.SeriesResponse')
    const bytes = ours.encode(ours.fromObject(msg)).finish()
    const decoded = up.toObject(up.decode(bytes), {longs: Number, bytes: Array, defaults: false})
    assert.deepEqual(decoded, {series: {...msg.series, chunks: [{...msg.series.chunks[0], raw: {data: [0, 1, 2, 3], hash: 42}}]}})
    assert.deepEqual(Buffer.from(up.encode(up.fromObject(msg)).finish()), Buffer.from(bytes))
  })
})
