/**
 * Runs Prometheus's PromQL test scripts against our engine over an in-memory Queryable and
 * counts evals passed / failed (load_with_nhcb's custom-bucket series built by nhcb-load.ts).
 * An eval passes when its result and its annotations (eval_warn/eval_info, expect warn/no_warn/
 * info/no_info) are as expected.
 */
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {labelsKey, labelsToString, type Labels} from '../../src/core/labels/labels.js'
import {Engine} from '../../src/core/promql/engine/engine.js'
import {MemoryQueryable} from '../../src/core/promql/memory-queryable.js'
import type {QueryValue} from '../../src/core/promql/engine/types.js'
import type {Annotation} from '../../src/core/promql/engine/annotations.js'
import {FloatHistogramDecodeIterator} from '../../src/core/chunkenc/float-histogram-decoder.js'
import {encodeFloatHistogramChunks} from '../../src/core/chunkenc/float-histogram-encoder.js'
import {staleFloatHistogram} from '../../src/core/chunkenc/histogram-decoder.js'
import {FloatHistogram} from '../../src/core/histogram/float-histogram.js'
import {describeHistogram, histogramsMatch, isHistValue} from './histogram-notation.js'
import {nhcbSeries} from './nhcb-load.js'
import {parseScript, staleValue, type AnnotationExpect, type Command, type SeriesDesc, type SeriesValue} from './script.js'

export interface FileResult {
  file: string
  passed: number
  failed: number
  failures: string[]
}

const EPSILON = 0.000001
const MIN_NORMAL = 2.2250738585072014e-308

/** Prometheus's almost.Equal as used by promqltest. */
export function almostEqual(a: number, b: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true
  if (a === b) return true
  const absSum = Math.abs(a) + Math.abs(b)
  const diff = Math.abs(a - b)
  if (a === 0 || b === 0 || absSum < MIN_NORMAL) return diff < EPSILON * MIN_NORMAL
  return diff / Math.min(absSum, Number.MAX_VALUE) < EPSILON
}

function load(q: MemoryQueryable, cmd: Extract<Command, {kind: 'load'}>): void {
  for (const s of cmd.series) {
    const ts: number[] = []
    const vs: number[] = []
    const stale: number[] = []
    const st: number[] = []
    const hs: (FloatHistogram | undefined)[] = []
    // a stale marker after a histogram is a histogram stale marker (the TSDB head appends it so)
    const staleHist: boolean[] = []
    let lastWasHist = false
    s.values.forEach((v, i) => {
      if (v === undefined) return
      const t = i * cmd.intervalMs
      ts.push(t)
      const h = isHistValue(v) ? v.h : undefined
      vs.push(v === 'stale' ? staleValue() : h ? Number.NaN : (v as number))
      stale.push(v === 'stale' ? 1 : 0)
      hs.push(h)
      staleHist.push(v === 'stale' && lastWasHist)
      if (v !== 'stale') lastWasHist = h !== undefined
      // as promqltest's loadCmd.set: ST = T + offset, 0 (unknown) where the @st line has `_`
      const off = s.stOffsets?.[i]
      st.push(off === undefined ? 0 : t + off)
    })
    if (s.nativeHistogram) throughChunks(ts, hs, staleHist)
    q.add(s.labels, ts, vs, stale, s.stOffsets ? st : undefined, s.nativeHistogram ? hs : undefined)
  }
}

/**
 * The counter-reset hints the engine sees come from the TSDB's chunks (a chunk's first
 * sample Unknown, the others NotCounterReset, gauge chunks Gauge; chunks cut at resets,
 * schema or zero-threshold changes, flavor changes, after staleness, by size and at 2h):
 * each run of histogram samples goes through our float histogram chunk encoder (the head's
 * cutting rules, chunkenc/float-histogram-encoder.ts) and back, as promqltest loads into a
 * real TSDB. Replaces the histograms in `hs` in place.
 */
function throughChunks(ts: number[], hs: (FloatHistogram | undefined)[], staleHist: boolean[]): void {
  let i = 0
  while (i < ts.length) {
    if (hs[i] === undefined) {
      i++
      continue
    }
    let j = i
    const runTs: number[] = []
    const runHs: FloatHistogram[] = []
    while (j < ts.length && (hs[j] !== undefined || staleHist[j])) {
      runTs.push(ts[j]!)
      runHs.push(hs[j] ?? staleFloatHistogram(new FloatHistogram()))
      j++
    }
    try {
      let k = i
      for (const c of encodeFloatHistogramChunks(runTs, runHs)) {
        const it = new FloatHistogramDecodeIterator(c.data)
        while (it.next()) {
          if (!it.atStale()) hs[k] = it.atFloatHistogram()
          k++
        }
      }
    } catch {
      // a histogram the encoder refuses stays as parsed (its hint as written)
    }
    i = j
  }
}

function describe(ls: Labels): string {
  return labelsToString(ls)
}

export type EvalCmd = Extract<Command, {kind: 'eval'}>

async function runEval(engine: Engine, q: MemoryQueryable, cmd: EvalCmd): Promise<string | undefined> {
  let res
  try {
    res = cmd.instant ? await engine.instantQuery(q, cmd.query, cmd.start) : await engine.rangeQuery(q, cmd.query, cmd.start, cmd.end, cmd.step)
  } catch (e) {
    return checkResult(cmd, {error: (e as Error).message})
  }
  return checkAnnotations(cmd, res.annotations ?? []) ?? checkResult(cmd, {value: res.value})
}

/**
 * Checks the annotations of a successful eval as promqltest's checkAnnotations: eval_warn and
 * eval_info want at least one; `expect warn`/`expect info` lines want every annotation of
 * that kind to match one of them and each of them to match one (texts without position);
 * `expect no_warn`/`no_info` want none.
 */
export function checkAnnotations(cmd: EvalCmd, annotations: readonly Pick<Annotation, 'level' | 'text'>[]): string | undefined {
  const warnings = annotations.filter((a) => a.level === 'warning').map((a) => a.text)
  const infos = annotations.filter((a) => a.level === 'info').map((a) => a.text)
  const all = () => JSON.stringify(annotations.map((a) => a.text))
  if (cmd.warn && warnings.length === 0) return 'expected warnings, got none'
  if (cmd.info && infos.length === 0) return 'expected info annotations, got none'
  const matches = (x: AnnotationExpect, text: string) => (x.message !== undefined ? x.message === text : x.regex ? x.regex.test(text) : true)
  for (const [kind, actual] of [['warn', warnings], ['info', infos]] as const) {
    const expects = cmd.annotations.filter((x) => x.kind === kind)
    if (expects.length === 0) continue
    if (actual.length === 0) return `expected ${kind} annotations but none were found`
    for (const x of expects) if (!actual.some((t) => matches(x, t))) return `expected ${kind} annotation ${JSON.stringify(x.message ?? x.regex?.source ?? '')}, found ${all()}`
    for (const t of actual) if (!expects.some((x) => matches(x, t))) return `unexpected ${kind} annotation ${JSON.stringify(t)}`
  }
  if (cmd.annotations.some((x) => x.kind === 'no_warn') && warnings.length > 0) return `unexpected warning annotations: ${all()}`
  if (cmd.annotations.some((x) => x.kind === 'no_info') && infos.length > 0) return `unexpected info annotations: ${all()}`
  return undefined
}

/**
 * Checks an eval's outcome (a result, or an error's message) against its expectations; the
 * difference as text, undefined when it passes. Any engine's outcome: prometheus-agrees.test.ts
 * checks a real Prometheus's answers with it.
 */
export function checkResult(cmd: EvalCmd, outcome: {value: QueryValue} | {error: string}): string | undefined {
  if ('error' in outcome) {
    const msg = outcome.error
    if (!cmd.fail) return `unexpected error: ${msg}`
    if (cmd.failMessage !== undefined && msg !== cmd.failMessage) return `error message: got ${JSON.stringify(msg)}, want ${JSON.stringify(cmd.failMessage)}`
    if (cmd.failRegexp && !cmd.failRegexp.test(msg)) return `error message ${JSON.stringify(msg)} does not match ${cmd.failRegexp}`
    return undefined
  }
  if (cmd.fail) return 'expected an error, got a result'
  const v = outcome.value
  if (cmd.expectString !== undefined) return v.type === 'string' && v.v === cmd.expectString ? undefined : `expected string ${JSON.stringify(cmd.expectString)}`
  if (v.type === 'scalar') {
    if (cmd.expectedScalar === undefined) return cmd.expected.length === 0 ? undefined : `got scalar ${v.v}, expected series`
    return almostEqual(v.v, cmd.expectedScalar) ? undefined : `scalar: got ${v.v}, want ${cmd.expectedScalar}`
  }
  if (v.type === 'string') return 'unexpected string result'
  if (v.type === 'vector') {
    if (cmd.expectedScalar !== undefined) return 'expected a scalar'
    if (v.samples.length !== cmd.expected.length) return `got ${v.samples.length} series, want ${cmd.expected.length}: got [${v.samples.map((s) => `${describe(s.labels)} ${s.v}`).join('; ')}]`
    const want = new Map(cmd.expected.map((e, i) => [labelsKey(e.labels), {e, i}]))
    for (let k = 0; k < v.samples.length; k++) {
      const s = v.samples[k]!
      const w = want.get(labelsKey(s.labels))
      if (!w) return `unexpected series ${describe(s.labels)} ${s.v}`
      if (cmd.ordered && w.i !== k) return `order: ${describe(s.labels)} at ${k}, want ${w.i}`
      const wv = w.e.values[0]
      const err = compareValue(s.h, s.v, wv)
      if (err) return `${describe(s.labels)}: ${err}`
    }
    return undefined
  }
  // matrix
  if (cmd.instant && !cmd.expectRangeVector) return 'unexpected range vector result'
  const expected = cmd.expected.filter((e) => e.values.some((x) => x !== undefined))
  if (v.series.length !== expected.length) return `got ${v.series.length} series, want ${expected.length}: got [${v.series.map((s) => describe(s.labels)).join('; ')}]`
  const want = new Map(expected.map((e) => [labelsKey(e.labels), e]))
  for (const s of v.series) {
    const e = want.get(labelsKey(s.labels))
    if (!e) return `unexpected series ${describe(s.labels)}`
    const pts: [number, SeriesValue][] = []
    e.values.forEach((x, i) => {
      if (x === undefined || x === 'stale') return
      pts.push([cmd.instant ? NaN : cmd.start + i * cmd.step, x])
    })
    if (pts.length !== s.ts.length) return `${describe(s.labels)}: got ${s.ts.length} points, want ${pts.length}`
    for (let i = 0; i < pts.length; i++) {
      if (!cmd.instant && pts[i]![0] !== s.ts[i]) return `${describe(s.labels)}: point ${i} at ${s.ts[i]}, want ${pts[i]![0]}`
      const err = compareValue(s.hs?.[i], s.vs[i]!, pts[i]![1])
      if (err) return `${describe(s.labels)} @${s.ts[i]}: ${err}`
    }
  }
  return undefined
}

/** A result value against an expected one (float or histogram, test.go's rules); the difference as text. */
function compareValue(h: FloatHistogram | undefined, v: number, want: SeriesValue): string | undefined {
  if (isHistValue(want)) {
    if (!h) return `got float ${v}, want histogram ${describeHistogram(want.h)}`
    return histogramsMatch(want, h) ? undefined : `got ${describeHistogram(h)}, want ${describeHistogram(want.h)}`
  }
  if (h) return `got histogram ${describeHistogram(h)}, want float ${String(want)}`
  if (typeof want !== 'number' || !almostEqual(v, want)) return `got ${v}, want ${String(want)}`
  return undefined
}

export async function runFile(file: string): Promise<FileResult> {
  const cmds = parseScript(readFileSync(file, 'utf8'))
  const q = new MemoryQueryable()
  const engine = new Engine({timeout: 30_000, enableDelayedNameRemoval: true})
  const r: FileResult = {file: path.basename(file), passed: 0, failed: 0, failures: []}
  for (const cmd of cmds) {
    if (cmd.kind === 'clear') q.clear()
    else if (cmd.kind === 'load') {
      load(q, cmd)
      if (cmd.withNhcb) load(q, {...cmd, series: nhcbSeries(cmd.series)})
    } else {
      const err = await runEval(engine, q, cmd)
      if (err === undefined) r.passed++
      else {
        r.failed++
        r.failures.push(`${r.file}:${cmd.line}: ${cmd.query}\n      ${err}`)
      }
    }
  }
  return r
}

/** Our own scripts: cases Prometheus's do not cover (see prometheus-agrees.test.ts). */
export const OWN_TESTDATA = 'test/promql-conformance/testdata'

export async function runDir(dir: string): Promise<FileResult[]> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.test')).sort()
  const out: FileResult[] = []
  for (const f of files) out.push(await runFile(path.join(dir, f)))
  return out
}

export type {SeriesDesc}
