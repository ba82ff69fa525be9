/**
 * A small StoreAPI server for tests of the querier side: real gRPC over loopback (grpc-js
 * server, our wire codec), serving Info, Series, LabelNames and LabelValues from fixed sample
 * data with external labels, like a sidecar. Modes let a test make it hang or fail.
 * The sidecar over a real Prometheus is exercised in store-integration.test.ts.
 */
import {Server, ServerCredentials, status, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData, type UntypedServiceImplementation, type ServiceDefinition} from '@grpc/grpc-js'
import {compareLabels, mergeLabels, withoutLabels, type Labels} from '../../src/core/labels/labels.js'
import {matchesAll} from '../../src/core/labels/matcher.js'
import {decodeSeriesRequest, encodeInfoResponse, encodeSeriesBatchResponse, encodeSeriesResponse, encodeStringsResponse} from '../../src/core/storepb/store-wire.js'
import type {StoreChunk, StoreSeries} from '../../src/core/storepb/store-types.js'
import {encodeXorChunks} from '../../src/core/chunkenc/xor-encoder.js'
import {remoteReadChunks} from '../core/proxy/prometheus-fixture.js'
import {labelsFromRecord} from '../../src/core/labels/labels.js'

export interface TestSeries {
  labels: Labels
  samples: Array<[number, number]>
}

export interface TestStoreOptions {
  externalLabels: Labels
  series: TestSeries[]
  componentType?: string
  supportsWithoutReplicaLabels?: boolean
  /** 'hang': Series never answers; 'fail': Series fails UNAVAILABLE; 'info-fail': Info fails. */
  mode?: 'ok' | 'hang' | 'fail' | 'info-fail'
  /** Send series in batch frames of this size (0 = single frames). */
  batch?: number
  samplesPerChunk?: number
  /** Break the sort contract (reverse order), to test the querier's defence. */
  unsorted?: boolean
  /** Serve Series from this real Prometheus via streamed remote read (a minimal sidecar). */
  prometheusUrl?: string
}

const id = (b: Buffer): Buffer => b
function unary(path: string) {
  return {path, requestStream: false, responseStream: false, requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id}
}
const definition = {
  Info: unary('/thanos.info.Info/Info'),
  Series: {...unary('/thanos.Store/Series'), responseStream: true},
  LabelNames: unary('/thanos.Store/LabelNames'),
  LabelValues: unary('/thanos.Store/LabelValues'),
}

export class TestStoreServer {
  readonly server = new Server()
  address = ''
  seriesCalls = 0
  cancelledCalls = 0
  lastRequest: ReturnType<typeof decodeSeriesRequest> | undefined

  constructor(public opts: TestStoreOptions) {}

  async start(port = 0, creds: ServerCredentials = ServerCredentials.createInsecure()): Promise<string> {
    const impl: UntypedServiceImplementation = {
      Info: (call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => this.info(cb),
      Series: (call: ServerWritableStream<Buffer, Buffer>) => this.series(call),
      LabelNames: (call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => this.labels(cb, undefined),
      LabelValues: (call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => this.labels(cb, readLabelName(call.request)),
    }
    this.server.addService(definition as unknown as ServiceDefinition, impl)
    const bound = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`127.0.0.1:${port}`, creds, (err, p) => (err ? reject(err) : resolve(p))),
    )
    this.address = `127.0.0.1:${bound}`
    return this.address
  }

  stop(): void {
    this.server.forceShutdown()
  }

  private allSeries(): TestSeries[] {
    return this.opts.series.map((s) => ({labels: mergeLabels(s.labels, this.opts.externalLabels), samples: s.samples}))
  }

  private info(cb: sendUnaryData<Buffer>): void {
    if (this.opts.mode === 'info-fail') return cb({code: status.UNAVAILABLE, details: 'not ready'})
    let minTime = Number.MAX_SAFE_INTEGER
    for (const s of this.opts.series) if (s.samples.length > 0) minTime = Math.min(minTime, s.samples[0]![0])
    const buf = encodeInfoResponse({
      componentType: this.opts.componentType ?? 'sidecar',
      labelSets: this.opts.externalLabels.length > 0 ? [this.opts.externalLabels] : [],
      store: {minTime: minTime === Number.MAX_SAFE_INTEGER ? 0 : minTime, maxTime: 9223372036854775807, supportsSharding: false, supportsWithoutReplicaLabels: this.opts.supportsWithoutReplicaLabels ?? true},
    })
    cb(null, Buffer.from(buf))
  }

  private series(call: ServerWritableStream<Buffer, Buffer>): void {
    this.seriesCalls++
    call.on('cancelled', () => this.cancelledCalls++)
    const q = decodeSeriesRequest(call.request)
    this.lastRequest = q
    if (this.opts.mode === 'hang') return
    if (this.opts.mode === 'fail') {
      call.emit('error', {code: status.UNAVAILABLE, details: 'connection to prometheus refused'})
      return
    }
    const strip = new Set(this.opts.supportsWithoutReplicaLabels === false ? [] : q.withoutReplicaLabels ?? [])
    if (this.opts.prometheusUrl) {
      this.seriesFromPrometheus(call, q, strip).catch((e) => call.emit('error', {code: status.UNAVAILABLE, details: String(e)}))
      return
    }
    const out: StoreSeries[] = []
    for (const s of this.allSeries()) {
      if (!matchesAll(q.matchers, s.labels)) continue
      const inRange = s.samples.filter(([t]) => t >= q.minTime && t <= q.maxTime)
      if (inRange.length === 0) continue
      out.push({labels: withoutLabels(s.labels, strip), chunks: q.skipChunks ? [] : this.chunks(inRange)})
    }
    out.sort((a, b) => compareLabels(a.labels, b.labels))
    if (this.opts.unsorted) out.reverse()
    const batch = this.opts.batch ?? 0
    if (batch > 1) {
      for (let i = 0; i < out.length; i += batch) call.write(Buffer.from(encodeSeriesBatchResponse(out.slice(i, i + batch))))
    } else for (const s of out) call.write(Buffer.from(encodeSeriesResponse({series: s})))
    call.end()
  }

  private async seriesFromPrometheus(call: ServerWritableStream<Buffer, Buffer>, q: ReturnType<typeof decodeSeriesRequest>, strip: Set<string>): Promise<void> {
    // Matchers on external labels are answered here, the rest go to Prometheus (as a sidecar).
    const ext = new Set(this.opts.externalLabels.map((l) => l.name))
    const promMatchers = q.matchers.filter((m) => !ext.has(m.name)).map((m) => ({type: m.type, name: m.name, value: m.value}))
    const got = await remoteReadChunks(this.opts.prometheusUrl!, q.minTime, q.maxTime, promMatchers)
    const out: StoreSeries[] = []
    for (const s of got) {
      const labels = mergeLabels(labelsFromRecord(s.labels), this.opts.externalLabels)
      if (!matchesAll(q.matchers, labels)) continue
      out.push({labels: withoutLabels(labels, strip), chunks: s.chunks.map((c) => ({...c, hash: ''}))})
    }
    out.sort((a, b) => compareLabels(a.labels, b.labels))
    for (const s of out) call.write(Buffer.from(encodeSeriesResponse({series: s})))
    call.end()
  }

  private chunks(samples: Array<[number, number]>): StoreChunk[] {
    const cs = encodeXorChunks(samples.map((p) => p[0]), samples.map((p) => p[1]), this.opts.samplesPerChunk ?? 120)
    return cs.map((c) => ({...c, encoding: 0, hash: ''}))
  }

  private labels(cb: sendUnaryData<Buffer>, name: string | undefined): void {
    if (this.opts.mode === 'fail' || this.opts.mode === 'hang') {
      if (this.opts.mode === 'fail') cb({code: status.UNAVAILABLE, details: 'connection to prometheus refused'})
      return
    }
    const set = new Set<string>()
    for (const s of this.allSeries()) {
      for (const l of s.labels) {
        if (name === undefined) set.add(l.name)
        else if (l.name === name) set.add(l.value)
      }
    }
    cb(null, Buffer.from(encodeStringsResponse([...set].sort(), [])))
  }
}

/** LabelValuesRequest.label is field 1 (a string). */
function readLabelName(b: Buffer): string {
  if (b.length < 2 || b[0] !== 0x0a) return ''
  return b.toString('utf8', 2, 2 + b[1]!)
}
