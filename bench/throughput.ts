/**
 * Streaming throughput: every series over the whole data set, (a) through the sidecar's
 * StoreAPI Series call and (b) straight from Prometheus's remote read (STREAMED_XOR_CHUNKS),
 * the call the sidecar itself makes. Samples are counted from the XOR chunk headers (first two
 * bytes, big-endian) without decoding, so both sides pay the same small client cost.
 */
import {MatchType, Matcher} from '../src/core/labels/matcher.js'
import {RemoteReadClient} from '../src/core/remote-read/remote-read-client.js'
import {StoreClient} from '../src/core/storeapi/store-client.js'

export interface StreamResult {
  series: number
  chunks: number
  samples: number
  ms: number
}

const chunkSamples = (data: Uint8Array): number => (data.length >= 2 ? (data[0]! << 8) | data[1]! : 0)
const ALL = [new Matcher(MatchType.RE, '__name__', '.+')]

export async function streamSidecar(grpcAddress: string, minTime: number, maxTime: number): Promise<StreamResult> {
  const client = new StoreClient(grpcAddress)
  try {
    await client.info({timeoutMs: 10_000})
    const r: StreamResult = {series: 0, chunks: 0, samples: 0, ms: 0}
    const t0 = performance.now()
    for await (const f of client.series({minTime, maxTime, matchers: ALL, partialResponse: false}, new AbortController().signal)) {
      if (!f.series) continue
      r.series++
      for (const c of f.series.chunks) {
        r.chunks++
        r.samples += chunkSamples(c.data)
      }
    }
    r.ms = performance.now() - t0
    return r
  } finally {
    client.close()
  }
}

export async function streamRemoteRead(prometheusUrl: string, minTime: number, maxTime: number): Promise<StreamResult> {
  const client = new RemoteReadClient(prometheusUrl)
  try {
    const r: StreamResult = {series: 0, chunks: 0, samples: 0, ms: 0}
    const t0 = performance.now()
    for await (const s of client.read({start: minTime, end: maxTime, matchers: ALL})) {
      r.series++
      for (const c of s.chunks) {
        r.chunks++
        r.samples += chunkSamples(c.data)
      }
    }
    r.ms = performance.now() - t0
    return r
  } finally {
    await client.close()
  }
}
