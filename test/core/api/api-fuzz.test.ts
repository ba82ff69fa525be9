/**
 * A bounded fuzz test of the querier's HTTP API: a real `thanosts query` process over two real
 * Prometheus replicas behind our sidecars gets a few thousand generated requests (mutated
 * PromQL, odd times and steps, bad parameter types, duplicated parameters, junk bodies with odd
 * content types, huge and deeply nested queries, Unicode) at /api/v1/query, query_range, series,
 * labels, label/<name>/values and format_query, GET and POST. Every answer must be one of
 * Prometheus's statuses for the request (200, 400 bad_data, 422 execution, 503
 * timeout/unavailable; 405 for a POST to label values, as Prometheus's router) with
 * Prometheus's JSON envelope, never a 500 and never a dropped connection, and afterwards the
 * process must be alive and answer a normal query.
 *
 * API_FUZZ_RUNS=20000 FC_SEED=random npx mocha dist/test/core/api/api-fuzz.test.js
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import fc from 'fast-check'
import type {RunningSidecar} from '../../../src/core/sidecar/sidecar.js'
import {samples, type SeriesSpec} from '../../helpers/openmetrics.js'
import {freePort} from '../../helpers/ports.js'
import {startProcess, waitForHttpOk, type ManagedProcess} from '../../helpers/process.js'
import {startPrometheusSet, type PrometheusHandle} from '../../helpers/prometheus.js'
import {startSidecar} from '../../helpers/sidecar.js'

const T0 = Date.UTC(2024, 6, 1)
const STEP = 15_000
const N = 120
const T0S = T0 / 1000
const ENDS = (T0 + (N - 1) * STEP) / 1000

/** Real queries over the test data, the seeds that are mutated. */
const QUERIES = [
  'http_requests_total',
  'rate(http_requests_total[5m])',
  'sum by (job) (rate(http_requests_total[5m]))',
  'temperature > 22',
  'max_over_time(temperature[10m])',
  'histogram_quantile(0.9, sum by (le) (rate(latency_bucket[5m])))',
  'label_replace(temperature, "x", "$1", "room", "(.*)")',
  'label_join(temperature, "x", ",", "room", "job")',
  'count_values("v", temperature)',
  'topk(2, temperature)',
  'temperature offset 5m',
  `temperature @ ${ENDS}`,
  'temperature @ end()',
  'avg_over_time(temperature[10m:1m])',
  'absent(nope)',
  'vector(1) + on() group_left temperature',
  'sum(temperature) / count(temperature)',
  '{__name__=~"temp.*"}',
  'temperature{room!~"b|c"}',
  'time()',
  'scalar(sum(temperature))',
  'sort_desc(temperature)',
  'clamp(temperature, 0, 1)',
  'predict_linear(temperature[10m], 60)',
  'quantile_over_time(0.5, temperature[10m])',
  '-temperature ^ 2',
  'temperature and on(room) temperature',
  'http_requests_total / ignoring(job) group_left sum(http_requests_total)',
  '1 + 2 * 3 % 4',
  '"a string"',
  '1e308 * 10',
  'rate(http_requests_total[5m:30s] offset 1m)',
  'count by (__name__) ({__name__!=""})',
  'increase(http_requests_total[1h]) > bool 0',
  'min_over_time(temperature[step()])',
  'deriv(temperature[5m]) or vector(0)',
  'sum_over_time(temperature[1m] @ start())',
  'limitk(1, temperature)',
  'sort_by_label(temperature, "room")',
  'info(temperature)',
]

const TOKENS = [
  '(', ')', '[', ']', '{', '}', ',', ':', '@', '+', '-', '*', '/', '%', '^', '==', '!=', '=~', '!~', '>', 'and', 'or', 'unless', 'bool', 'on(room)', 'ignoring(job)', 'group_left', 'group_right(job)',
  'by (job)', 'without(room)', 'offset 5m', 'offset -1y', '@ 0', '@ -1e300', '@ end()', '[5m]', '[0s]', '[1y:1ms]', '[1m:0s]', '[5m:]', '{job="api"}', '{room=~"("}', '{a=~".*"}', 'sum(', 'rate(', 'abs(', 'topk(', 'quantile(',
  '"str"', "'s'", '`raw`', '1e308', 'NaN', 'Inf', '-Inf', '0x1p9', '0x', '1_000', '5m', '1y2d', '999999999999y', 'é', '\u0000', '\ud83d\ude00', '#', '\\', '"\\x"', '"\\u{1F600}"', 'step()', 'range()', '$1', '__name__', 'nope',
]

const CHARS = [...'()[]{},:@+-*/%^=!~<>"\'`\\ \n\t#$.0123456789abcxyzeE_', 'é', '\u0000', '\u2028', '😀']

/** A query mutated by inserting, deleting or replacing characters and tokens of real queries. */
const mutatedQuery = fc
  .tuple(
    fc.constantFrom(...QUERIES),
    fc.array(fc.tuple(fc.nat({max: 5}), fc.nat(), fc.constantFrom(...CHARS), fc.constantFrom(...TOKENS)), {maxLength: 4}),
  )
  .map(([q, edits]) => {
    let out = q
    for (const [kind, at, ch, tok] of edits) {
      const i = at % (out.length + 1)
      switch (kind) {
        case 0:
          out = out.slice(0, i) + ch + out.slice(i)
          break
        case 1:
          out = out.slice(0, i) + out.slice(i + 1)
          break
        case 2:
          out = out.slice(0, i) + ch + out.slice(i + 1)
          break
        case 3:
          out = out.slice(0, i) + tok + out.slice(i)
          break
        case 4: {
          // replace a word of the query by a token
          const words = out.split(/(\s+|[(),[\]{}])/)
          const w = at % words.length
          words[w] = tok
          out = words.join('')
          break
        }
        default:
          out = out.slice(0, i) + ' ' + tok + ' ' + out.slice(i)
      }
    }
    return out
  })

const query = fc.oneof({weight: 6, arbitrary: mutatedQuery}, {weight: 4, arbitrary: fc.constantFrom(...QUERIES)}, {weight: 1, arbitrary: fc.string({maxLength: 40})}, {weight: 1, arbitrary: fc.string({unit: 'binary', maxLength: 20})})

const TIMES = [
  String(T0S), String(ENDS), String(T0S + 600.5), '0', '1', '-1', '1e15', '-1e15', '1e300', 'NaN', 'Inf', '-Inf', '+Inf', '', ' ', '1.5e9', '9223372036854775807', '99999999999999999999', '0x10', '1_0', '1e3', '.5', '5.',
  new Date(T0).toISOString(), '2024-07-01T00:10:00.123456789+02:00', '2024-13-45T99:99:99Z', '2024-07-01T00:00:00', '2024-07-01', 'yesterday', 'now', '1719792000abc', '2024-07-01T00:00:00Z ', '\u0000',
]
const STEPS = ['15', '15s', '1m', '0', '-1', '-5m', '0.001', '1e-9', '1ms', '1y', '0s', 'NaN', 'Inf', '-Inf', '1e20', 'abc', '', '5m30s', '1.5', '86400', '1h1h', '1e400']
const DURATIONS = ['1s', '30s', '0', '-1', '1ms', 'abc', '1e20', '5m', '', 'NaN', '1y']
const LIMITS = ['1', '0', '-1', '2', 'abc', '1e100', 'NaN', '', '1.5', '99999999999999999999']
const BOOLS = ['true', 'false', '1', '0', 'maybe', '', 'TRUE', 't']
const SELECTORS = [
  'temperature', 'http_requests_total{job="api"}', '{__name__=~".+"}', '{job=~"a|b|api"}', '{room!=""}', 'up', '{', '}', 'temperature[5m]', 'rate(x[5m])', '{a=~"("}', '{a=~"\\\\p{Greek}"}', '{__name__=""}', '{a="b"', '"str"', '', 'é{é="é"}', '{"quoted name"="x"}',
]
// ('..' is left out: fetch resolves it away before sending)
const LABEL_NAMES = ['job', '__name__', 'room', 'nope', 'U__a_2e_b', 'U__zz', 'U___', 'U__FFFFFFFF_', 'U__d800_', 'U__110000_', '%ZZ', '%', 'a%2Fb', 'é', '%C3%A9', '%00', 'a b', '%E2%82', 'U__1F600_', '']

interface Req {
  endpoint: string
  method: 'GET' | 'POST'
  params: [string, string][]
  /** how a POST carries its parameters */
  body: 'form' | 'form-charset' | 'query-string' | 'junk' | 'json' | 'multipart' | 'bad-escapes' | 'none'
}

const param = (name: string, values: fc.Arbitrary<string>) => fc.array(values.map((v) => [name, v] as [string, string]), {maxLength: 2})
const pool = (xs: string[]) => fc.oneof({weight: 6, arbitrary: fc.constantFrom(...xs)}, {weight: 1, arbitrary: fc.string({maxLength: 12})})

const common = fc.tuple(param('dedup', fc.constantFrom(...BOOLS)), param('partial_response', fc.constantFrom(...BOOLS)), param('replicaLabels[]', fc.constantFrom('replica', '', 'é', 'cluster')), param('storeMatch[]', pool(SELECTORS)))

const request: fc.Arbitrary<Req> = fc
  .tuple(
    fc.constantFrom('query', 'query', 'query_range', 'query_range', 'series', 'labels', 'label', 'format_query'),
    fc.constantFrom<Req['method']>('GET', 'POST'),
    fc.constantFrom<Req['body']>('form', 'form', 'form', 'form', 'form-charset', 'query-string', 'query-string', 'junk', 'json', 'multipart', 'bad-escapes', 'none'),
    fc.oneof({weight: 5, arbitrary: query.map((q) => [q])}, {weight: 1, arbitrary: fc.array(query, {maxLength: 2})}),
    fc.tuple(param('time', pool(TIMES)), param('start', pool(TIMES)), param('end', pool(TIMES)), param('step', pool(STEPS))),
    fc.tuple(param('timeout', pool(DURATIONS)), param('lookback_delta', pool(DURATIONS)), param('limit', pool(LIMITS)), param('match[]', pool(SELECTORS))),
    common,
    fc.constantFrom(...LABEL_NAMES),
    fc.nat({max: 3}),
  )
  .map(([ep, method, body, queries, times, others, extra, label, noise]) => {
    // noise 0: a well-formed request of the endpoint (but for the query and the body);
    // 1: plus optional parameters; 2: plus bad times and steps; 3: only generated parameters
    const params: [string, string][] = queries.map((q) => ['query', q])
    if (noise < 3) {
      if (ep === 'query') params.push(['time', String(ENDS)])
      if (ep === 'query_range') params.push(['start', String(T0S)], ['end', String(ENDS)], ['step', '60'])
      if (ep === 'series' || ep === 'labels' || ep === 'label') params.push(['match[]', 'temperature'])
    }
    const groups = noise === 0 ? [] : noise === 1 ? [...others, ...extra] : [...times, ...others, ...extra]
    for (const group of groups) params.push(...group)
    return {endpoint: ep === 'label' ? `label/${label}/values` : ep, method, params, body}
  })

/** Requests any fuzzer should try; the regressions of what this test found stay here too. */
const SPECIAL: Req[] = [
  ...[
    '('.repeat(10_000) + '1' + ')'.repeat(10_000),
    'abs('.repeat(10_000) + 'temperature' + ')'.repeat(10_000),
    '-'.repeat(10_000) + '1',
    Array(20_000).fill('temperature').join(' + '),
    Array(10_000).fill('2').join(' ^ '),
    'sum(' + '('.repeat(100_000),
    `temperature[${'('.repeat(5000)}1m${')'.repeat(5000)}]`,
    'x' + '[1m:1s]'.repeat(1000),
    '{a=~"' + '('.repeat(2000) + ')'.repeat(2000) + '"}',
    '{a=~"' + 'a{1000}'.repeat(1000) + '"}',
    'temperature{' + Array(2000).fill('room=~".+"').join(',') + '}',
    'x'.repeat(1 << 20),
    '"' + 'é'.repeat(300_000) + '"',
    'label_replace(temperature, "x", "$1", "room", "' + '(a*)*'.repeat(10) + 'b")',
    // at the nesting limit: parsed, evaluated and printed without exhausting the stack
    'abs('.repeat(999) + 'temperature' + ')'.repeat(999),
    'sum('.repeat(999) + 'temperature' + ')'.repeat(999),
    '('.repeat(999) + 'temperature' + ')'.repeat(999),
    '-'.repeat(999) + 'temperature',
    Array(1000).fill('temperature').join(' + '),
    Array(1000).fill('temperature').join(' ^ '),
    'max_over_time('.repeat(333) + 'temperature' + '[5m:1m])'.repeat(333),
    `temperature[${Array(1000).fill('1s').join('+')}]`,
  ].map((q): Req => ({endpoint: 'query', method: 'POST', body: 'form', params: [['query', q], ['time', String(ENDS)]]})),
  {endpoint: 'query_range', method: 'GET', body: 'none', params: [['query', 'temperature'], ['start', '0'], ['end', '1e15'], ['step', '0.001']]},
  {endpoint: 'query_range', method: 'GET', body: 'none', params: [['query', 'temperature'], ['start', String(T0S)], ['end', String(ENDS)], ['step', '-15']]},
  {endpoint: 'query_range', method: 'GET', body: 'none', params: [['query', 'temperature'], ['start', 'NaN'], ['end', 'Inf'], ['step', '15']]},
  {endpoint: 'query_range', method: 'GET', body: 'none', params: [['query', 'temperature'], ['start', '-Inf'], ['end', '+Inf'], ['step', 'Inf']]},
  {endpoint: 'query_range', method: 'GET', body: 'none', params: [['query', 'temperature'], ['start', '-1e15'], ['end', '1e15'], ['step', '1e20']]},
  {endpoint: 'query', method: 'GET', body: 'none', params: [['query', 'temperature'], ['time', '1e300']]},
  {endpoint: 'series', method: 'GET', body: 'none', params: [['match[]', 'temperature'], ['start', '-1e300'], ['end', '1e300']]},
  {endpoint: 'label/%ZZ/values', method: 'GET', body: 'none', params: []},
  {endpoint: 'query', method: 'GET', body: 'none', params: [['query', 'avg_over_time(temperature[10m1m])']]},
  {endpoint: 'format_query', method: 'GET', body: 'none', params: [['query', 'temperature offset 1d1d']]},
  {endpoint: 'label/U__zz_/values', method: 'GET', body: 'none', params: []},
  {endpoint: 'label/U__FFFFFFFF_/values', method: 'GET', body: 'none', params: []},
  {endpoint: 'label//values', method: 'GET', body: 'none', params: []},
  {endpoint: 'query', method: 'GET', body: 'none', params: [['query', 'temperature'], ['timeout', '-1']]},
  {endpoint: 'query', method: 'GET', body: 'none', params: [['query', 'temperature'], ['timeout', '0']]},
  {endpoint: 'query_range', method: 'GET', body: 'none', params: [['query', 'temperature'], ['start', String(T0S)], ['end', String(ENDS)], ['step', '15'], ['timeout', '1ms']]},
  {endpoint: 'labels', method: 'POST', body: 'junk', params: [['match[]', 'temperature']]},
  {endpoint: 'query', method: 'POST', body: 'bad-escapes', params: [['query', 'temperature']]},
]

/**
 * `a[1y:1ms]`: 3e10 steps. Another change makes the engine check max-samples before it
 * allocates; until then only "no 500, no dropped connection" is asserted for it.
 */
const HUGE_SUBQUERY: Req = {endpoint: 'query', method: 'GET', body: 'none', params: [['query', 'temperature[1y:1ms]'], ['time', String(ENDS)]]}

function encodeBody(r: Req): {url: string; init: RequestInit} {
  const form = new URLSearchParams(r.params).toString()
  if (r.method === 'GET' || r.body === 'query-string') return {url: `?${form}`, init: {method: r.method}}
  switch (r.body) {
    case 'form':
      return {url: '', init: {method: 'POST', headers: {'content-type': 'application/x-www-form-urlencoded'}, body: form}}
    case 'form-charset':
      return {url: '', init: {method: 'POST', headers: {'content-type': 'application/x-www-form-urlencoded; charset=UTF-8'}, body: form}}
    case 'junk':
      return {url: `?${form}`, init: {method: 'POST', headers: {'content-type': 'application/octet-stream'}, body: new Uint8Array([0, 255, 0x25, 0x7a, 0x7a, 13, 10, 0xc3, 0x28, ...Buffer.from(form)])}}
    case 'json':
      return {url: '', init: {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(Object.fromEntries(r.params))}}
    case 'multipart':
      return {url: `?${form}`, init: {method: 'POST', headers: {'content-type': 'multipart/form-data; boundary=zz'}, body: '--zz\r\nContent-Disposition: form-data; name="query"\r\n\r\nup\r\n--zz--\r\n'}}
    case 'bad-escapes':
      return {url: '', init: {method: 'POST', headers: {'content-type': 'application/x-www-form-urlencoded'}, body: `${form}&%zz=%&query=%E2%82&x=%`}}
    default:
      return {url: `?${form}`, init: {method: 'POST'}}
  }
}

interface Outcome {
  req: Req
  status?: number
  text?: string
  error?: string
}

const ERROR_TYPES: Record<number, string[]> = {400: ['bad_data'], 405: ['bad_data'], 422: ['execution', 'unavailable'], 503: ['timeout', 'unavailable']}

/** What is wrong with an answer, or undefined. */
function problem(o: Outcome): string | undefined {
  if (o.error !== undefined) return `no answer: ${o.error}`
  const allowed = o.req.endpoint.startsWith('label/') && o.req.method === 'POST' ? [405] : [200, 400, 422, 503]
  if (!allowed.includes(o.status!)) return `status ${o.status}`
  let body: {status?: unknown; data?: unknown; errorType?: unknown; error?: unknown}
  try {
    body = JSON.parse(o.text!) as typeof body
  } catch {
    return `status ${o.status} with a body that is not JSON`
  }
  if (o.status === 200) return body.status === 'success' && 'data' in body ? undefined : 'status 200 without {"status":"success","data":…}'
  if (body.status !== 'error' || typeof body.error !== 'string') return `status ${o.status} without {"status":"error","error":…}`
  if (!ERROR_TYPES[o.status!]!.includes(body.errorType as string)) return `status ${o.status} with errorType ${JSON.stringify(body.errorType)}`
  return undefined
}

function describe_(r: Req): string {
  const s = JSON.stringify(r)
  return s.length > 400 ? `${s.slice(0, 400)}…` : s
}

describe('HTTP API fuzz: a real querier over real Prometheus replicas and sidecars', function () {
  this.timeout(300_000)
  let proms: PrometheusHandle[] = []
  let sidecars: RunningSidecar[] = []
  let querier: ManagedProcess | undefined
  let base: string

  before(async function () {
    this.timeout(120_000)
    const series = (replica: number): SeriesSpec[] => [
      {metric: 'http_requests', type: 'counter' as const, labels: {job: 'api'}, samples: samples(T0, STEP, N, (i) => i * 10 + replica)},
      {metric: 'temperature', type: 'gauge' as const, labels: {room: 'a'}, samples: samples(T0, STEP, N, (i) => 20 + (i % 7))},
      {metric: 'temperature', type: 'gauge' as const, labels: {room: 'b', job: 'x'}, samples: samples(T0, STEP, N, (i) => 18 + (i % 5))},
    ]
    proms = await startPrometheusSet([
      {externalLabels: {cluster: 'eu', replica: '0'}, series: series(0)},
      {externalLabels: {cluster: 'eu', replica: '1'}, series: series(1)},
    ])
    sidecars = await Promise.all(proms.map((p) => startSidecar(p)))
    const [http, grpc] = [await freePort(), await freePort()]
    base = `http://127.0.0.1:${http}`
    querier = startProcess('thanosts-query', process.execPath, [
      path.resolve('bin/run.js'),
      'query',
      `--http-address=127.0.0.1:${http}`,
      `--grpc-address=127.0.0.1:${grpc}`,
      ...sidecars.map((s) => `--store=127.0.0.1:${s.grpcPort}`),
      '--query.replica-label=replica',
      '--query.timeout=20s',
      '--http-grace-period=1s',
      '--grpc-grace-period=1s',
      '--log.level=error',
    ])
    await waitForHttpOk(`${base}/-/ready`, querier, 60_000)
    // both stores known before the fuzzing starts
    const deadline = Date.now() + 30_000
    for (;;) {
      const r = await fetch(`${base}/api/v1/stores`)
      const body = (await r.json()) as {data?: Record<string, unknown[]>}
      if (Object.values(body.data ?? {}).flat().length >= 2) break
      if (Date.now() > deadline) throw new Error(`stores not seen: ${JSON.stringify(body)}`)
      await new Promise((res) => setTimeout(res, 200))
    }
  })

  after(async function () {
    await querier?.stop()
    await Promise.all(sidecars.map((s) => s.lifecycle.stop()))
    await Promise.all(proms.map((p) => p.stop()))
  })

  async function send(r: Req): Promise<Outcome> {
    const {url, init} = encodeBody(r)
    try {
      const res = await fetch(`${base}/api/v1/${r.endpoint}${url}`, {...init, signal: AbortSignal.timeout(60_000)})
      return {req: r, status: res.status, text: await res.text()}
    } catch (e) {
      const err = e as Error & {cause?: Error}
      return {req: r, error: `${err.message}${err.cause ? `: ${err.cause.message}` : ''}`}
    }
  }

  async function fire(reqs: readonly Req[], concurrency: number): Promise<Outcome[]> {
    const out: Outcome[] = []
    let next = 0
    await Promise.all(
      Array.from({length: concurrency}, async () => {
        while (next < reqs.length) out.push(await send(reqs[next++]!))
      }),
    )
    return out
  }

  function report(outcomes: readonly Outcome[]): string[] {
    // one line per kind of problem, with an example request
    const kinds = new Map<string, {n: number; example: Outcome}>()
    for (const o of outcomes) {
      const p = problem(o)
      if (p === undefined) continue
      const key = `${o.req.endpoint.startsWith('label/') ? 'label/…/values' : o.req.endpoint} ${o.req.method}: ${p}`
      const k = kinds.get(key)
      if (k) k.n++
      else kinds.set(key, {n: 1, example: o})
    }
    return [...kinds].map(([k, {n, example}]) => `${n} x ${k}\n      e.g. ${describe_(example.req)}\n      -> ${(example.text ?? example.error ?? '').slice(0, 300)}`)
  }

  it('answers huge, deep and malformed requests with Prometheus statuses and JSON', async function () {
    const problems = report(await fire(SPECIAL, 2))
    assert.deepEqual(problems, [])
  })

  it('answers a request whose timeout has passed with 503 timeout, not 499 canceled, nor 500', async function () {
    // Prometheus sets a deadline of now + timeout: zero or negative has passed already
    for (const timeout of ['-1', '0', '-0.5']) {
      const [o] = await fire([{endpoint: 'query_range', method: 'GET', body: 'none', params: [['query', 'rate(http_requests_total[5m])'], ['start', String(T0S)], ['end', String(ENDS)], ['step', '15'], ['timeout', timeout]]}], 1)
      assert.equal(o!.status, 503, `timeout=${timeout}: ${o!.text}`)
      assert.deepEqual(JSON.parse(o!.text!), {status: 'error', errorType: 'timeout', error: 'query timed out in expression evaluation'})
    }
  })

  it('answers generated requests with Prometheus statuses and JSON, and stays up', async function () {
    const runs = Number(process.env.API_FUZZ_RUNS ?? 3000)
    const reqs = fc.sample(request, {numRuns: runs})
    const started = Date.now()
    const outcomes = await fire(reqs, 8)
    const problems = report(outcomes)
    const ok = outcomes.filter((o) => o.status === 200).length
    console.log(`      ${outcomes.length} requests in ${((Date.now() - started) / 1000).toFixed(1)} s, ${ok} answered 200`)
    assert.deepEqual(problems, [])
    assert.ok(ok > runs / 5, `only ${ok} of ${runs} requests succeeded: the generator no longer reaches the engine`)
    assert.ok(!querier!.exited(), `the querier exited:\n${querier!.output()}`)
    const r = await fetch(`${base}/api/v1/query?${new URLSearchParams({query: 'sum(temperature)', time: String(ENDS)})}`)
    assert.equal(r.status, 200)
    const body = (await r.json()) as {data: {result: {value: [number, string]}[]}}
    assert.equal(body.data.result.length, 1)
  })

  it('answers a subquery of 3e10 steps without a 500 or a dropped connection', async function () {
    const [o] = await fire([HUGE_SUBQUERY], 1)
    assert.equal(o!.error, undefined, `no answer: ${o!.error}`)
    assert.notEqual(o!.status, 500, o!.text)
  })
})
