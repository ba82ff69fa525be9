/**
 * Conformance of the hand-written StoreAPI codec (src/core/storepb/store-wire.ts) with the upstream
 * schema: messages are encoded by one side and decoded by protobufjs loaded with the upstream
 * .proto files (shared/reference/upstream-protos, gogoproto options stripped: Go-only).
 */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import fc from 'fast-check'
import protobuf from 'protobufjs'
import {labelsFromRecord} from '../../../src/core/labels/labels.js'
import {Matcher, MatchType} from '../../../src/core/labels/matcher.js'
import * as wire from '../../../src/core/storepb/store-wire.js'
import {Aggr, AGGREGATES_ENCODING} from '../../../src/core/storepb/store-types.js'

const here = dirname(fileURLToPath(import.meta.url))
// dist/test/core/store → repo root → ../shared
const PROTOS = join(here, '..', '..', '..', '..', '..', 'shared', 'reference', 'upstream-protos', 'thanos')

function loadUpstream(): protobuf.Root {
  const root = new protobuf.Root()
  const any = (protobuf as unknown as {common: Record<string, {nested: protobuf.INamespace['nested']}>}).common['google/protobuf/any.proto']!
  root.addJSON(any.nested!)
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

describe('StoreAPI wire codec vs upstream protos', () => {
  let root: protobuf.Root
  before(() => {
    root = loadUpstream()
  })
  const toObj = (type: string, b: Uint8Array) => {
    const T = root.lookupType(type)
    return T.toObject(T.decode(b), {longs: String, enums: Number, defaults: false, bytes: Array})
  }
  const enc = (type: string, obj: Record<string, unknown>) => {
    const T = root.lookupType(type)
    return T.encode(T.fromObject(obj)).finish()
  }

  it('SeriesRequest: every field the querier sends lands where upstream expects it', () => {
    const b = wire.encodeSeriesRequest({
      minTime: -5,
      maxTime: Number.POSITIVE_INFINITY,
      matchers: [new Matcher(MatchType.EQ, '__name__', 'up'), new Matcher(MatchType.NRE, 'job', 'a|b')],
      skipChunks: true,
      partialResponse: false,
      withoutReplicaLabels: ['replica', 'rule_replica'],
      hints: {stepMs: 30_000, func: 'rate', rangeMs: 300_000, grouping: {by: true, labels: ['job']}},
      limit: 10,
    })
    assert.deepEqual(toObj('thanos.SeriesRequest', b), {
      min_time: '-5',
      max_time: '9223372036854775807',
      matchers: [{name: '__name__', value: 'up'}, {type: 3, name: 'job', value: 'a|b'}],
      partial_response_disabled: true,
      partial_response_strategy: 1,
      skip_chunks: true,
      query_hints: {step_millis: '30000', func: {name: 'rate'}, grouping: {by: true, labels: ['job']}, range: {millis: '300000'}},
      without_replica_labels: ['replica', 'rule_replica'],
      limit: '10',
      response_batch_size: '64',
    })
    // And our server-side decoder reads what upstream encodes.
    const back = wire.decodeSeriesRequest(enc('thanos.SeriesRequest', {min_time: '-9223372036854775808', max_time: '1700000000000', matchers: [{type: 2, name: 'a', value: 'x.*'}], partial_response_strategy: 1, without_replica_labels: ['replica']}))
    assert.equal(back.minTime, -9223372036854775808)
    assert.equal(back.maxTime, 1700000000000)
    assert.equal(back.partialResponse, false)
    assert.deepEqual(back.withoutReplicaLabels, ['replica'])
    assert.equal(back.matchers[0]!.type, MatchType.RE)
    assert.equal(back.matchers[0]!.matches('xyz'), true)
    // small negative times (before 1970) decode exactly, not rounded through 2^64
    for (const t of [-1, -5, -1000, -86_400_000, -(2 ** 53) + 1]) {
      assert.equal(wire.decodeSeriesRequest(enc('thanos.SeriesRequest', {min_time: String(t), max_time: '0'})).minTime, t)
    }
  })

  it('SeriesResponse: series, batch and warning frames from upstream encoding; hints skipped', () => {
    const series = (v: string) => ({
      labels: [{name: '__name__', value: 'up'}, {name: 'job', value: v}],
      chunks: [
        {min_time: '1700000000000', max_time: '1700000120000', raw: {type: 0, data: [0, 1, 2, 3], hash: '18446744073709551615'}},
        {min_time: '1', max_time: '2', sum: {type: 0, data: [9]}},
      ],
    })
    const one = wire.decodeSeriesResponse(enc('thanos.SeriesResponse', {series: series('a')}))
    assert.equal(one.length, 1)
    const s = one[0]!.series!
    assert.deepEqual(s.labels, labelsFromRecord({__name__: 'up', job: 'a'}))
    assert.equal(s.chunks.length, 2)
    assert.equal(s.chunks[1]!.aggrs?.length, 5, 'a downsampled chunk keeps its aggregates')
    assert.deepEqual(s.chunks[1]!.aggrs!.map((x) => (x ? [x.encoding, [...x.data]] : null)), [null, [0, [9]], null, null, null])
    assert.equal(s.chunks[0]!.minTime, 1700000000000)
    assert.equal(s.chunks[0]!.maxTime, 1700000120000)
    assert.deepEqual([...s.chunks[0]!.data], [0, 1, 2, 3])
    assert.notEqual(s.chunks[0]!.hash, '')
    const batch = wire.decodeSeriesResponse(enc('thanos.SeriesResponse', {batch: {series: [series('a'), series('b'), series('c')]}}))
    assert.deepEqual(batch.map((f) => f.series!.labels[1]!.value), ['a', 'b', 'c'])
    assert.deepEqual(wire.decodeSeriesResponse(enc('thanos.SeriesResponse', {warning: 'store down'})), [{warning: 'store down'}])
    assert.deepEqual(wire.decodeSeriesResponse(enc('thanos.SeriesResponse', {hints: {type_url: 'x', value: [1, 2]}})), [])
    // Our encoder (used by test servers and the proxy face) round-trips through upstream.
    const mine = toObj('thanos.SeriesResponse', wire.encodeSeriesResponse({series: {labels: s.labels, chunks: s.chunks}}))
    assert.deepEqual(mine.series.labels, series('a').labels)
    assert.equal(mine.series.chunks[0].max_time, '1700000120000')
  })

  it('downsampled chunks: aggregates and the request\'s max_resolution_window/aggregates round-trip through upstream', () => {
    const chunks = [
      {minTime: 10, maxTime: 20, encoding: AGGREGATES_ENCODING, data: new Uint8Array(0), hash: '', aggrs: [{encoding: 0, data: new Uint8Array([1, 2])}, undefined, undefined, {encoding: 0, data: new Uint8Array([3])}, {encoding: 2, data: new Uint8Array([4, 5, 6])}]},
      {minTime: 30, maxTime: 40, encoding: AGGREGATES_ENCODING, data: new Uint8Array(0), hash: '', aggrs: [undefined, undefined, undefined, undefined, undefined]},
      {minTime: 50, maxTime: 60, encoding: 0, data: new Uint8Array([7]), hash: ''},
    ]
    const up = toObj('thanos.SeriesResponse', wire.encodeSeriesResponse({series: {labels: labelsFromRecord({a: 'b'}), chunks}}))
    assert.deepEqual(up.series.chunks, [
      {min_time: '10', max_time: '20', count: {data: [1, 2]}, max: {data: [3]}, counter: {type: 2, data: [4, 5, 6]}},
      {min_time: '30', max_time: '40'},
      {min_time: '50', max_time: '60', raw: {data: [7]}},
    ])
    const back = wire.decodeSeriesResponse(enc('thanos.SeriesResponse', up))[0]!.series!
    // an AggrChunk with neither raw nor aggregates carries no data: dropped, as before
    assert.deepEqual(back.chunks.map((c) => [c.minTime, c.encoding, c.aggrs?.map((x) => (x ? [x.encoding, [...x.data]] : null)) ?? [...c.data]]), [
      [10, AGGREGATES_ENCODING, [[0, [1, 2]], null, null, [0, [3]], [2, [4, 5, 6]]]],
      [50, 0, [7]],
    ])
    const req = toObj('thanos.SeriesRequest', wire.encodeSeriesRequest({minTime: 0, maxTime: 1, matchers: [], partialResponse: true, maxResolutionWindow: 300_000, aggregates: [Aggr.COUNT, Aggr.SUM]}))
    assert.equal(req.max_resolution_window, '300000')
    assert.deepEqual(req.aggregates, [Aggr.COUNT, Aggr.SUM])
    const q = wire.decodeSeriesRequest(enc('thanos.SeriesRequest', {max_resolution_window: '3600000', aggregates: [Aggr.COUNTER, Aggr.MIN]}))
    assert.equal(q.maxResolutionWindow, 3_600_000)
    assert.deepEqual(q.aggregates, [Aggr.COUNTER, Aggr.MIN])
  })

  it('batch frames of any size (lengths needing 1 to 3 varint bytes, non-ASCII labels) decode upstream exactly', () => {
    // The writer writes nested bodies in place and shifts them when a length needs more than
    // one byte: exercise bodies around those boundaries and strings with multi-byte UTF-8.
    const label = fc.record({name: fc.string({minLength: 1, maxLength: 12}), value: fc.string({maxLength: 300, unit: 'binary'})})
    const chunk = fc.record({minTime: fc.integer({min: -1e12, max: 2e12}), maxTime: fc.integer({min: 0, max: 2e12}), data: fc.uint8Array({maxLength: 20_000})})
    const series = fc.record({labels: fc.uniqueArray(label, {maxLength: 4, selector: (l) => l.name}), chunks: fc.array(chunk, {maxLength: 5})})
    fc.assert(
      fc.property(fc.array(series, {minLength: 1, maxLength: 6}), (list) => {
        const ss = list.map((x) => ({labels: x.labels, chunks: x.chunks.map((c) => ({...c, encoding: 0, hash: ''}))}))
        const got = toObj('thanos.SeriesResponse', wire.encodeSeriesBatchResponse(ss)) as {batch: {series: {labels?: {name: string; value: string}[]; chunks?: {min_time?: string; max_time?: string; raw: {data?: number[]}}[]}[]}}
        assert.equal(got.batch.series.length, ss.length)
        got.batch.series.forEach((g, i) => {
          assert.deepEqual(g.labels ?? [], ss[i]!.labels.map((l) => ({name: l.name, ...(l.value === '' ? {} : {value: l.value})})))
          assert.deepEqual(
            (g.chunks ?? []).map((c) => [Number(c.min_time ?? 0), Number(c.max_time ?? 0), c.raw.data ?? []]),
            ss[i]!.chunks.map((c) => [c.minTime, c.maxTime, [...c.data]]),
          )
        })
      }),
      {numRuns: 60},
    )
  })

  it('InfoResponse: label sets, component type and store info (MaxInt64 max time)', () => {
    const info = wire.decodeInfoResponse(
      enc('thanos.info.InfoResponse', {
        label_sets: [{labels: [{name: 'cluster', value: 'us1'}, {name: 'replica', value: '0'}]}, {labels: []}],
        ComponentType: 'sidecar',
        store: {min_time: '1600000000000', max_time: '9223372036854775807', supports_sharding: true, supports_without_replica_labels: true},
        exemplars: {min_time: '1', max_time: '2'},
        rules: {},
      }),
    )
    assert.deepEqual(info.labelSets, [labelsFromRecord({cluster: 'us1', replica: '0'})])
    assert.equal(info.componentType, 'sidecar')
    assert.deepEqual(info.store, {minTime: 1600000000000, maxTime: 9223372036854775807, supportsSharding: true, supportsWithoutReplicaLabels: true})
    assert.equal(wire.decodeInfoResponse(enc('thanos.info.InfoResponse', {ComponentType: 'query'})).store, undefined)
    const mine = toObj('thanos.info.InfoResponse', wire.encodeInfoResponse(info))
    assert.equal(mine.store.max_time, '9223372036854775807')
  })

  it('InfoResponse: rules, metric_metadata, targets and exemplars announcements, StoreAPI bytes unchanged', () => {
    const base: wire.EndpointInfo = {
      componentType: 'sidecar',
      labelSets: [labelsFromRecord({cluster: 'us1'})],
      store: {minTime: -9223372036854775808, maxTime: 9223372036854775807, supportsSharding: false, supportsWithoutReplicaLabels: true},
    }
    const storeOnly = Buffer.from(wire.encodeInfoResponse(base))
    const full = Buffer.from(wire.encodeInfoResponse({...base, rules: true, metricMetadata: true, targets: true, exemplars: {minTime: 0, maxTime: 0}}))
    // the announcements are appended after the StoreAPI fields, which keep their bytes
    assert.deepEqual(full.subarray(0, storeOnly.length), storeOnly)
    // as upstream's generated code writes them: empty messages for the flags and for ExemplarsInfo{}
    assert.deepEqual([...full.subarray(storeOnly.length)], [0x22, 0, 0x2a, 0, 0x32, 0, 0x3a, 0])
    const theirs = toObj('thanos.info.InfoResponse', full)
    assert.deepEqual([theirs.rules, theirs.metric_metadata, theirs.targets, theirs.exemplars], [{}, {}, {}, {}])
    assert.equal(theirs.query, undefined)
    const ranged = wire.encodeInfoResponse({...base, exemplars: {minTime: -5, maxTime: 9223372036854775807}})
    assert.deepEqual(toObj('thanos.info.InfoResponse', ranged).exemplars, {min_time: '-5', max_time: '9223372036854775807'})
    assert.deepEqual(wire.decodeInfoResponse(ranged).exemplars, {minTime: -5, maxTime: 9223372036854775807})
    assert.equal(wire.decodeInfoResponse(ranged).rules, undefined)
    const decoded = wire.decodeInfoResponse(enc('thanos.info.InfoResponse', {ComponentType: 'sidecar', rules: {}, targets: {}, metric_metadata: {}, exemplars: {}, status: {}}))
    assert.deepEqual(decoded, {componentType: 'sidecar', labelSets: [], rules: true, targets: true, metricMetadata: true, exemplars: {minTime: 0, maxTime: 0}})
  })

  it('LabelNames/LabelValues requests and responses', () => {
    const q = {start: 1000, end: 2000, matchers: [new Matcher(MatchType.EQ, 'job', 'x')], partialResponse: true, withoutReplicaLabels: ['replica'], limit: 5}
    assert.deepEqual(toObj('thanos.LabelNamesRequest', wire.encodeLabelNamesRequest(q)), {start: '1000', end: '2000', matchers: [{name: 'job', value: 'x'}], without_replica_labels: ['replica'], limit: '5'})
    assert.deepEqual(toObj('thanos.LabelValuesRequest', wire.encodeLabelValuesRequest('instance', {...q, partialResponse: false})), {
      label: 'instance',
      partial_response_disabled: true,
      partial_response_strategy: 1,
      start: '1000',
      end: '2000',
      matchers: [{name: 'job', value: 'x'}],
      without_replica_labels: ['replica'],
      limit: '5',
    })
    assert.deepEqual(wire.decodeLabelNamesResponse(enc('thanos.LabelNamesResponse', {names: ['a', 'b'], warnings: ['w']})), {names: ['a', 'b'], warnings: ['w']})
    assert.deepEqual(wire.decodeLabelValuesResponse(enc('thanos.LabelValuesResponse', {values: ['x'], warnings: []})), {values: ['x'], warnings: []})
  })

  it('malformed input is a clear error, not a crash', () => {
    assert.throws(() => wire.decodeSeriesResponse(new Uint8Array([0x0a, 0x50, 0x01])), /truncated/)
    assert.throws(() => wire.decodeInfoResponse(new Uint8Array([0x4f])), /wire type/)
  })
})
