/**
 * Generated data and PromQL expressions for differential tests against a real Prometheus: float
 * series of a few shapes (counters with resets, gauges crossing zero, sparse series with gaps,
 * NaN and infinite values), and a fast-check grammar of float expressions over them: selectors
 * with every matcher type, range and instant functions, aggregations with by/without, binary
 * operators with matching modifiers, subqueries, offset and @.
 */
import fc from 'fast-check'
import {samples, type SeriesSpec} from './openmetrics.js'

export const GEN_SCRAPE_MS = 15_000
/** Samples sit this far after each 15 s slot: off every step and window boundary. */
const OFFSET_MS = 3_517

/** Deterministic data over [startMs, startMs + hours): ~40 series in 4 metric families. */
export function generatedSeries(startMs: number, hours: number): SeriesSpec[] {
  const n = (hours * 3_600_000) / GEN_SCRAPE_MS
  const t0 = startMs + OFFSET_MS
  const out: SeriesSpec[] = []
  for (const job of ['api', 'db']) {
    for (let inst = 0; inst < 4; inst++) {
      const instance = `${job}-${inst}`
      // Counters: steady rates per instance, a reset at a different point for each.
      const resetAt = Math.floor(n * (0.2 + 0.17 * inst))
      for (const code of ['200', '500']) {
        const rate = (inst + 1) * (code === '200' ? 3 : 0.25)
        out.push({metric: 'gen_requests', type: 'counter', labels: {job, instance, code}, samples: samples(t0, GEN_SCRAPE_MS, n, (i) => (i < resetAt ? i * rate : (i - resetAt) * rate + (i % 3)))})
      }
      // Gauges crossing zero, with a NaN now and then on one instance.
      out.push({metric: 'gen_temperature', type: 'gauge', labels: {job, instance}, samples: samples(t0, GEN_SCRAPE_MS, n, (i) => (inst === 2 && i % 97 === 0 ? Number.NaN : Math.round(100 * (Math.sin(i / (20 + inst * 7)) * 10 - inst)) / 100))})
      // Sparse: gaps longer than the lookback, and a couple of infinities.
      out.push({metric: 'gen_queue', type: 'gauge', labels: {job, instance}, samples: samples(t0, GEN_SCRAPE_MS, n, (i) => (Math.floor(i / 40) % 3 === 1 ? undefined : i % 211 === 5 && inst === 0 ? Infinity : (i * (inst + 1)) % 17))})
    }
    out.push({metric: 'gen_info', type: 'gauge', labels: {job, version: job === 'api' ? '1.2' : '3.4'}, samples: samples(t0, GEN_SCRAPE_MS, n, () => 1)})
  }
  return out
}

const METRICS = ['gen_requests_total', 'gen_temperature', 'gen_queue']
const LABELS = ['job', 'instance', 'code']
const VALUES: Record<string, string[]> = {job: ['api', 'db', 'web'], instance: ['api-0', 'api-1', 'db-2', 'db-3'], code: ['200', '500']}
const RANGES = ['1m', '2m', '5m', '10m', '30m']

const pick = <T>(xs: readonly T[]): fc.Arbitrary<T> => fc.constantFrom(...xs)

const matcher: fc.Arbitrary<string> = pick(LABELS).chain((l) =>
  fc.oneof(
    pick(VALUES[l]!).map((v) => `${l}="${v}"`),
    pick(VALUES[l]!).map((v) => `${l}!="${v}"`),
    fc.constantFrom(`${l}=~"${VALUES[l]![0]}|${VALUES[l]![1]}"`, `${l}=~".*1"`, `${l}!~"${VALUES[l]![0]!.slice(0, 2)}.*"`, `${l}=~""`, `${l}!=""`),
  ),
)

export const selector: fc.Arbitrary<string> = fc
  .tuple(pick(METRICS), fc.array(matcher, {maxLength: 2}))
  .map(([m, ms]) => (ms.length ? `${m}{${ms.join(', ')}}` : m))

const counterSelector: fc.Arbitrary<string> = fc.array(matcher, {maxLength: 2}).map((ms) => (ms.length ? `gen_requests_total{${ms.join(', ')}}` : 'gen_requests_total'))

const rangeFn: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(pick(['rate', 'irate', 'increase', 'resets']), counterSelector, pick(RANGES)).map(([f, s, r]) => `${f}(${s}[${r}])`),
  fc
    .tuple(pick(['delta', 'idelta', 'deriv', 'changes', 'avg_over_time', 'min_over_time', 'max_over_time', 'sum_over_time', 'count_over_time', 'stddev_over_time', 'stdvar_over_time', 'last_over_time', 'present_over_time', 'absent_over_time']), selector, pick(RANGES))
    .map(([f, s, r]) => `${f}(${s}[${r}])`),
  fc.tuple(pick(['0', '0.25', '0.5', '0.99', '1', '-1', '2']), selector, pick(RANGES)).map(([q, s, r]) => `quantile_over_time(${q}, ${s}[${r}])`),
  fc.tuple(selector, pick(RANGES), pick(['60', '-300', '3600'])).map(([s, r, t]) => `predict_linear(${s}[${r}], ${t})`),
)

const leaf: fc.Arbitrary<string> = fc.oneof({weight: 3, arbitrary: selector}, {weight: 3, arbitrary: rangeFn}, {weight: 1, arbitrary: pick(['1', '-2.5', '0', 'time()', 'vector(3)', 'scalar(sum(gen_queue))'])})

const AGGRS = ['sum', 'avg', 'min', 'max', 'count', 'stddev', 'stdvar', 'group']
const grouping: fc.Arbitrary<string> = fc.oneof(fc.constant(''), fc.subarray(LABELS, {minLength: 1, maxLength: 2}).chain((ls) => pick(['by', 'without']).map((k) => ` ${k} (${ls.join(', ')})`)))
const ARITH = ['+', '-', '*', '/', '%', '^', 'atan2']
const CMP = ['==', '!=', '>', '<', '>=', '<=']

export const floatExpr: fc.Arbitrary<string> = fc.letrec<{expr: string}>((tie) => ({
  expr: fc.oneof(
    {depthSize: 'small', withCrossShrink: true},
    {weight: 4, arbitrary: leaf},
    {weight: 2, arbitrary: fc.tuple(pick(AGGRS), grouping, tie('expr')).map(([a, g, e]) => `${a}${g} (${e})`)},
    {weight: 1, arbitrary: fc.tuple(pick(['topk', 'bottomk']), pick(['1', '2', '5']), grouping, tie('expr')).map(([a, k, g, e]) => `${a}${g} (${k}, ${e})`)},
    {weight: 1, arbitrary: fc.tuple(pick(['0.1', '0.5', '0.9', '1.5']), grouping, tie('expr')).map(([q, g, e]) => `quantile${g} (${q}, ${e})`)},
    {weight: 1, arbitrary: tie('expr').map((e) => `count_values("v", ${e})`)},
    {weight: 2, arbitrary: fc.tuple(tie('expr'), pick(ARITH), tie('expr')).map(([a, op, b]) => `(${a}) ${op} (${b})`)},
    {weight: 1, arbitrary: fc.tuple(selector, pick(ARITH), pick(['ignoring (code)', 'on (job, instance)', 'on (job) group_left', 'ignoring (instance) group_right']), selector).map(([a, op, m, b]) => `${a} ${op} ${m} ${b}`)},
    {weight: 2, arbitrary: fc.tuple(tie('expr'), pick(CMP), fc.boolean(), tie('expr')).map(([a, op, bool, b]) => `(${a}) ${op}${bool ? ' bool' : ''} (${b})`)},
    {weight: 1, arbitrary: fc.tuple(selector, pick(CMP), pick(['on (job, instance)', 'ignoring (code)']), selector).map(([a, op, m, b]) => `${a} ${op} ${m} ${b}`)},
    {weight: 1, arbitrary: fc.tuple(selector, pick(['and', 'or', 'unless']), pick(['', ' on (job)', ' ignoring (code)']), selector).map(([a, op, m, b]) => `${a} ${op}${m} ${b}`)},
    {
      weight: 2,
      arbitrary: fc.tuple(pick(['abs', 'ceil', 'floor', 'round', 'sqrt', 'exp', 'ln', 'log2', 'log10', 'sgn', 'timestamp', 'sort', 'sort_desc', 'absent', 'hour', 'minute', 'day_of_week', 'deg', 'rad', 'sin', 'cos', 'tanh', '-']), tie('expr')).map(([f, e]) => (f === '-' ? `-(${e})` : `${f}(${e})`)),
    },
    {weight: 1, arbitrary: fc.tuple(pick(['clamp(%, -1, 5)', 'clamp_min(%, 2)', 'clamp_max(%, 2)', 'round(%, 0.5)']), tie('expr')).map(([f, e]) => f.replace('%', e))},
    {weight: 1, arbitrary: tie('expr').map((e) => `label_replace(${e}, "x", "$1", "instance", "(.*)-.*")`)},
    {weight: 1, arbitrary: tie('expr').map((e) => `label_join(${e}, "y", "/", "job", "instance")`)},
    {weight: 1, arbitrary: fc.tuple(pick(['max_over_time', 'avg_over_time', 'rate', 'min_over_time', 'last_over_time']), tie('expr'), pick(['5m:1m', '10m:30s', '30m:5m', '3m:'])).map(([f, e, w]) => `${f}((${e})[${w}])`)},
    {weight: 1, arbitrary: fc.tuple(selector, pick(['offset 5m', 'offset -2m', 'offset 1h'])).map(([s, o]) => `${s} ${o}`)},
  ),
})).expr
