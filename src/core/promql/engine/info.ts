/**
 * info(v, {selector}) (Prometheus 3, promql/info.go): adds the data labels of info series
 * (default target_info) that share the identifying labels instance and job with a series of v.
 */
import {ExecutionError} from '../../errors.js'
import {labelsKey, labelsToGoString, METRIC_NAME, sortLabels, type Label, type Labels} from '../../labels/labels.js'
import {Matcher, MatchType} from '../../labels/matcher.js'
import type {Call, VectorSelector} from '../parser/ast.js'
import type {Evaluator} from './evaluator.js'
import type {EvalValue, StepSeries} from './types.js'

const IDENTIFYING = ['instance', 'job'] as const

/**
 * The __name__ matchers that select info series (info.go effectiveInfoNameMatchers): as given
 * when one is positive; only negative ones are narrowed to `.+_info`; none means target_info.
 */
function effectiveNameMatchers(ms: Matcher[]): Matcher[] {
  if (ms.some((m) => m.type === MatchType.EQ || m.type === MatchType.RE)) return ms
  if (ms.length > 0) return [new Matcher(MatchType.RE, METRIC_NAME, '.+_info'), ...ms]
  return [new Matcher(MatchType.EQ, METRIC_NAME, 'target_info')]
}

/** RE2's QuoteMeta: the value as a literal inside a regex. */
function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&')
}

function get(ls: Labels, name: string): string {
  return ls.find((l) => l.name === name)?.value ?? ''
}

/** The join key of an info metric name and a label set's identifying labels (those it has). */
function signature(infoName: string, ls: Labels): string {
  let sig = infoName
  for (const n of IDENTIFYING) {
    const v = get(ls, n)
    sig += v === '' ? '\xff' : `\xff=${v}`
  }
  return sig
}

/**
 * Base series whose name matches every effective name matcher are info series themselves and
 * pass unchanged. The others are joined per step with the newest info sample per (info name,
 * identifying labels); with data-label matchers only those labels are added (and a series
 * that no info series matches is dropped when a matcher needs a non-empty value), labels the
 * base series has win, and two info series disagreeing on a label are an error. As upstream,
 * the result does not carry a pending __name__ drop.
 */
export async function evalInfo(ev: Evaluator, c: Call, times: Float64Array, operands?: EvalValue[]): Promise<EvalValue> {
  const base = await ev.eval(c.args[0]!, times)
  // (the base and info series, for the caller's sample accounting)
  operands?.push(base)
  if (base.type !== 'vector') throw new ExecutionError('expected an instant vector argument to info')
  const sel = c.args[1] && c.args[1].kind === 'VectorSelector' ? c.args[1] : undefined
  const dataMatchers = new Map<string, Matcher[]>()
  for (const m of sel?.labelMatchers ?? []) dataMatchers.set(m.name, [...(dataMatchers.get(m.name) ?? []), m])
  const nameMatchers = sel ? (dataMatchers.get(METRIC_NAME) ?? []) : [new Matcher(MatchType.EQ, METRIC_NAME, 'target_info')]
  const effective = effectiveNameMatchers(nameMatchers)
  const ignored = new Set(base.series.filter((s) => effective.every((m) => m.matches(get(s.labels, METRIC_NAME)))))
  dataMatchers.delete(METRIC_NAME)

  const idValues = new Map<string, Set<string>>()
  for (const s of base.series) {
    if (ignored.has(s)) continue
    for (const n of IDENTIFYING) {
      const v = get(s.labels, n)
      if (v === '') continue
      let set = idValues.get(n)
      if (!set) idValues.set(n, (set = new Set()))
      set.add(v)
    }
  }
  let infos: StepSeries[] = []
  if (idValues.size > 0) {
    const matchers = [...idValues].map(([n, vs]) => new Matcher(MatchType.RE, n, [...vs].map(quoteMeta).join('|')))
    for (const ms of dataMatchers.values()) matchers.push(...ms)
    matchers.push(...effectiveNameMatchers(nameMatchers))
    const infoSel: VectorSelector = {
      kind: 'VectorSelector',
      name: '',
      labelMatchers: matchers,
      originalOffset: 0,
      offset: 0,
      timestamp: undefined,
      startOrEnd: undefined,
      anchored: false,
      smoothed: false,
      bypassEmptyMatcherCheck: true,
      posRange: c.posRange,
    }
    const v = await ev.eval(infoSel, times)
    operands?.push(v)
    if (v.type === 'vector') infos = v.series
  }
  const infoNames = [...new Set(infos.map((s) => get(s.labels, METRIC_NAME)))]
  const infoSigs = infos.map((s) => signature(get(s.labels, METRIC_NAME), s.labels))
  const baseSigs = new Map(base.series.map((s) => [s, infoNames.map((name) => signature(name, s.labels))]))
  const needsMatch = [...dataMatchers.values()].some((ms) => ms.some((m) => !m.matches('')))

  const n = times.length
  const out = new Map<string, StepSeries>()
  const bySig = new Map<string, number>()
  for (let i = 0; i < n; i++) {
    bySig.clear()
    // combineWithInfoVector: nothing to join at a step without base samples
    if (!base.series.some((s) => s.has[i])) continue
    for (let k = 0; k < infos.length; k++) {
      const s = infos[k]!
      if (!s.has[i]) continue
      if (s.hists?.[i] !== undefined) throw new ExecutionError('info sample should be float')
      const prev = bySig.get(infoSigs[k]!)
      // the newest info sample wins; two at the same time are a conflict
      if (prev === undefined) bySig.set(infoSigs[k]!, k)
      else {
        const [tPrev, t] = [infos[prev]!.sampleTs![i]!, s.sampleTs![i]!]
        if (t > tPrev) bySig.set(infoSigs[k]!, k)
        else if (t === tPrev) {
          throw new ExecutionError(`found duplicate series for info metric: existing ${labelsToGoString(infos[prev]!.labels)} @ ${tPrev}, new ${labelsToGoString(s.labels)} @ ${t}`)
        }
      }
    }
    for (const s of base.series) {
      if (!s.has[i]) continue
      let labels = s.labels
      if (!ignored.has(s)) {
        const extra = new Map<string, string>()
        let matched = false
        for (const sig of baseSigs.get(s)!) {
          const k = bySig.get(sig)
          if (k === undefined) continue
          matched = true
          for (const l of infos[k]!.labels) {
            if (l.name === METRIC_NAME) continue
            if (dataMatchers.size > 0 && !dataMatchers.has(l.name)) continue
            const have = extra.get(l.name)
            if (have !== undefined && have !== l.value) throw new ExecutionError(`conflicting label: ${l.name}`)
            if (s.labels.some((b) => b.name === l.name)) continue
            extra.set(l.name, l.value)
          }
        }
        if (!matched && needsMatch) continue
        if (extra.size > 0) {
          const add: Label[] = [...extra].map(([name, value]) => ({name, value}))
          labels = sortLabels([...s.labels, ...add])
        }
      }
      const key = labelsKey(labels)
      let o = out.get(key)
      if (!o) out.set(key, (o = {labels, vals: new Float64Array(n), has: new Uint8Array(n)}))
      else if (o.has[i]) throw new ExecutionError('vector cannot contain metrics with the same labelset')
      o.vals[i] = s.vals[i]!
      o.has[i] = 1
      const h = s.hists?.[i]
      if (h !== undefined) (o.hists ??= new Array(n))[i] = h
    }
  }
  return {type: 'vector', series: [...out.values()]}
}
