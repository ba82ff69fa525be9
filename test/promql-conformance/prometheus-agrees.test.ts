import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {labelsFromRecord, METRIC_NAME} from '../../src/core/labels/labels.js'
import {parseNumber} from '../../src/core/promql/parser/parser.js'
import type {QueryValue} from '../../src/core/promql/engine/types.js'
import type {SeriesSpec} from '../helpers/openmetrics.js'
import {startPrometheus} from '../helpers/prometheus.js'
import {checkResult, OWN_TESTDATA, type EvalCmd} from './runner.js'
import {parseScript, type Command} from './script.js'

/**
 * Our own scripts' expectations are not ours to invent: every eval of
 * test/promql-conformance/testdata is run against a real Prometheus 3.14 loaded with the same
 * series (one server per load section, with promqltest's engine features) and must pass there too.
 */
/**
 * As promqltest runs its scripts (promql/promqltest/test.go): experimental functions on, and
 * delayed __name__ removal, which the Prometheus server leaves off by default.
 */
const PROMQLTEST_FEATURES = 'promql-experimental-functions,promql-delayed-name-removal'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const DIR = join(ROOT, OWN_TESTDATA)

interface PromResult {
  resultType: 'vector' | 'matrix' | 'scalar' | 'string'
  result: unknown
}

function toQueryValue(r: PromResult): QueryValue {
  const labels = (m: Record<string, string>) => labelsFromRecord(m)
  switch (r.resultType) {
    case 'vector':
      return {type: 'vector', samples: (r.result as {metric: Record<string, string>; value: [number, string]}[]).map((s) => ({labels: labels(s.metric), t: s.value[0] * 1000, v: parseNumber(s.value[1])}))}
    case 'matrix':
      return {
        type: 'matrix',
        series: (r.result as {metric: Record<string, string>; values: [number, string][]}[]).map((s) => ({
          labels: labels(s.metric),
          ts: Float64Array.from(s.values, (p) => p[0] * 1000),
          vs: Float64Array.from(s.values, (p) => parseNumber(p[1])),
        })),
      }
    case 'scalar': {
      const [t, v] = r.result as [number, string]
      return {type: 'scalar', t: t * 1000, v: parseNumber(v)}
    }
    case 'string': {
      const [t, v] = r.result as [number, string]
      return {type: 'string', t: t * 1000, v}
    }
  }
}

/** The commands between clears: one load section and its evals. */
function sections(cmds: Command[]): Command[][] {
  const out: Command[][] = [[]]
  for (const c of cmds) {
    if (c.kind === 'clear') out.push([])
    else out[out.length - 1]!.push(c)
  }
  return out.filter((s) => s.some((c) => c.kind === 'eval'))
}

function seriesOf(section: Command[]): SeriesSpec[] {
  const specs: SeriesSpec[] = []
  for (const c of section) {
    if (c.kind !== 'load') continue
    for (const s of c.series) {
      assert.ok(!s.nativeHistogram && !s.stOffsets && !s.values.includes('stale'), 'our scripts load plain float samples only (OpenMetrics backfill)')
      const metric = s.labels.find((l) => l.name === METRIC_NAME)!.value
      const rec: Record<string, string> = {}
      for (const l of s.labels) if (l.name !== METRIC_NAME) rec[l.name] = l.value
      const samples: [number, number][] = []
      s.values.forEach((v, i) => {
        if (typeof v === 'number') samples.push([i * c.intervalMs, v])
      })
      specs.push({metric, labels: rec, samples})
    }
  }
  return specs
}

describe('our PromQL scripts agree with Prometheus 3.14', function () {
  this.timeout(300_000)
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.test')).sort()) {
    it(file, async () => {
      let checked = 0
      for (const section of sections(parseScript(readFileSync(join(DIR, file), 'utf8')))) {
        const prom = await startPrometheus({version: 3, series: seriesOf(section), extraArgs: [`--enable-feature=${PROMQLTEST_FEATURES}`]})
        try {
          for (const cmd of section.filter((c): c is EvalCmd => c.kind === 'eval')) {
            const params = cmd.instant
              ? new URLSearchParams({query: cmd.query, time: String(cmd.start / 1000)})
              : new URLSearchParams({query: cmd.query, start: String(cmd.start / 1000), end: String(cmd.end / 1000), step: String(cmd.step / 1000)})
            const res = await fetch(`${prom.url}/api/v1/${cmd.instant ? 'query' : 'query_range'}?${params}`)
            const body = (await res.json()) as {status: string; data: PromResult; error: string}
            const err = checkResult(cmd, body.status === 'success' ? {value: toQueryValue(body.data)} : {error: body.error})
            assert.equal(err, undefined, `${file}:${cmd.line}: ${cmd.query}`)
            checked++
          }
        } finally {
          await prom.stop()
        }
      }
      assert.ok(checked > 0)
    })
  }
})
