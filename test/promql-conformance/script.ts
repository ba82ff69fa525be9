/**
 * Prometheus's PromQL test-script format (promql/promqltest, see
 * ../shared/promql-testdata/UPSTREAM-README.md): load / clear / eval commands, series
 * descriptions with `a+bxN` expansion, expectations. Parsed here; run by runner.ts.
 */
import {labelsFromRecord, labelsKey, type Labels} from '../../src/core/labels/labels.js'
import {parseDuration} from '../../src/core/promql/parser/duration.js'
import {parseNumber} from '../../src/core/promql/parser/parser.js'
import {STALE_NAN} from '../../src/core/chunkenc/value.js'
import {readHistogramItem, type HistValue} from './histogram-notation.js'

/** One position of a series description. */
export type SeriesValue = number | 'stale' | undefined | HistValue

export interface SeriesDesc {
  labels: Labels
  /** undefined = no sample at that position; 'stale' = stale marker; objects are native histograms */
  values: SeriesValue[]
  nativeHistogram: boolean
  /** From a preceding `name{...}@st` line: each sample's ST as an offset (ms) from its timestamp. */
  stOffsets?: (number | undefined)[]
}

/** An `expect warn|no_warn|info|no_info [msg:|regex:]` line (promqltest expectCmd). */
export interface AnnotationExpect {
  kind: 'warn' | 'no_warn' | 'info' | 'no_info'
  /** exact text (`msg:`), or a pattern (`regex:`); neither matches any annotation */
  message?: string
  regex?: RegExp
}

export type Command =
  | {kind: 'load'; line: number; intervalMs: number; series: SeriesDesc[]; nativeHistogram: boolean; withNhcb: boolean}
  | {kind: 'clear'; line: number}
  | {
      kind: 'eval'
      line: number
      query: string
      instant: boolean
      start: number
      end: number
      step: number
      fail: boolean
      failMessage?: string
      failRegexp?: RegExp
      ordered: boolean
      expectString?: string
      expectRangeVector: boolean
      expected: SeriesDesc[]
      /** a bare scalar expectation line */
      expectedScalar?: number
      nativeHistogram: boolean
      /** eval_warn / eval_info: at least one warning / info */
      warn: boolean
      info: boolean
      annotations: AnnotationExpect[]
    }

export function parseTime(s: string): number {
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s) * 1000
  if (s.startsWith('-')) return -parseDuration(s.slice(1))
  return parseDuration(s)
}

/** `name{a="b"}` → labels; the rest of the line is returned as `rest`. */
function parseSeriesHead(line: string): {labels: Labels; rest: string} {
  let i = 0
  let name = ''
  const m = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)
  if (m) {
    name = m[0]
    i = m[0].length
  }
  const rec: Record<string, string> = {}
  if (line[i] === '{') {
    i++
    while (i < line.length && line[i] !== '}') {
      while (line[i] === ' ' || line[i] === ',') i++
      if (line[i] === '}') break
      let key: string
      if (line[i] === '"') {
        const end = findQuoteEnd(line, i)
        key = JSON.parse(line.slice(i, end + 1)) as string
        i = end + 1
      } else {
        const km = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i))!
        key = km[0]
        i += key.length
      }
      while (line[i] === ' ') i++
      if (line[i] !== '=') {
        // a bare quoted metric name
        name = key
        continue
      }
      i++
      while (line[i] === ' ') i++
      const end = findQuoteEnd(line, i)
      rec[key] = unquote(line.slice(i, end + 1))
      i = end + 1
    }
    i++
  }
  if (name !== '') rec.__name__ = name
  return {labels: labelsFromRecord(rec), rest: line.slice(i).trim()}
}

function unquote(q: string): string {
  if (q.startsWith('`')) return q.slice(1, -1)
  if (q.startsWith("'")) return JSON.parse('"' + q.slice(1, -1).replace(/\\'/g, "'").replace(/"/g, '\\"') + '"') as string
  return JSON.parse(q) as string
}

function findQuoteEnd(s: string, start: number): number {
  const q = s[start]!
  for (let i = start + 1; i < s.length; i++) {
    if (s[i] === '\\') i++
    else if (s[i] === q) return i
  }
  return s.length - 1
}

/** Expands `1 2+3x4 _ _x2 stale Inf {{count:1}}x2` into values. */
export function parseValues(rest: string): {values: SeriesValue[]; native: boolean} {
  const values: SeriesValue[] = []
  let native = false
  for (let i = 0; i < rest.length; ) {
    if (/\s/.test(rest[i]!)) {
      i++
      continue
    }
    if (rest.startsWith('{{', i)) {
      // histogram items hold spaces: read them whole, with their expansion
      const item = readHistogramItem(rest, i)
      values.push(...item.values)
      native = true
      i = item.end
      continue
    }
    let j = i
    while (j < rest.length && !/\s/.test(rest[j]!)) j++
    parseFloatToken(rest.slice(i, j), values)
    i = j
  }
  return {values, native}
}

function parseFloatToken(tok: string, values: SeriesValue[]): void {
  {
    let m: RegExpExecArray | null
    if (tok === '_') values.push(undefined)
    else if ((m = /^_x(\d+)$/.exec(tok))) for (let i = 0; i < Number(m[1]); i++) values.push(undefined)
    else if (tok === 'stale') values.push('stale')
    else if ((m = /^([-+]?(?:[\d.]+(?:e[-+]?\d+)?|Inf|NaN|inf|nan))([-+])([\d.]+(?:e[-+]?\d+)?|Inf|NaN)x(\d+)$/i.exec(tok))) {
      const a = parseNumber(m[1]!)
      const b = parseNumber(m[3]!) * (m[2] === '-' ? -1 : 1)
      const n = Number(m[4])
      // Prometheus adds the step repeatedly (float accumulation), not a + i*b
      let v = a
      values.push(v)
      for (let i = 0; i < n; i++) {
        v += b
        values.push(v)
      }
    } else if ((m = /^([-+]?(?:[\d.]+(?:e[-+]?\d+)?|Inf|NaN|inf|nan)|stale)x(\d+)$/i.exec(tok))) {
      const v = m[1] === 'stale' ? 'stale' : parseNumber(m[1]!)
      for (let i = 0; i <= Number(m[2]); i++) values.push(v)
    } else values.push(parseNumber(tok))
  }
}

/**
 * A start-timestamp line (promqltest's isSTLine): the series head immediately followed by `@st`,
 * then the offsets, e.g. `cumulative{type="a"}@st  _ _ -30s-1mx2`.
 */
function isSTLine(line: string): boolean {
  const sp = line.search(/[ \t]/)
  return sp >= 0 && line.slice(0, sp).endsWith('@st')
}

function parseSTLine(line: string): {labels: Labels; offsets: (number | undefined)[]} {
  const sp = line.search(/[ \t]/)
  const {labels} = parseSeriesHead(line.slice(0, sp - '@st'.length))
  const offsets: (number | undefined)[] = []
  for (const item of line.slice(sp + 1).trim().split(/\s+/).filter(Boolean)) offsets.push(...parseSTItem(item))
  return {labels, offsets}
}

/**
 * One item of an @st sequence (promqltest's parseSTItem): `_`, `_xN`, `<dur>`, `<dur>xN`
 * (N+1 equal offsets), `<dur>+<dur>xN` / `<dur>-<dur>xN` (N+1 offsets stepping by the delta).
 */
function parseSTItem(item: string): (number | undefined)[] {
  if (item === '_') return [undefined]
  let m: RegExpExecArray | null
  if ((m = /^_x(\d+)$/.exec(item))) {
    if (Number(m[1]) === 0) throw new Error(`invalid ST item ${JSON.stringify(item)}: invalid repeat count`)
    return new Array<undefined>(Number(m[1])).fill(undefined)
  }
  const [base, rest] = parseSignedDurationPrefix(item)
  if (rest === '') return [base]
  if (rest[0] === 'x') return new Array<number>(Number(rest.slice(1)) + 1).fill(base)
  if (rest[0] !== '+' && rest[0] !== '-') throw new Error(`invalid ST item ${JSON.stringify(item)}`)
  const [d, rest2] = parseSignedDurationPrefix(rest.slice(1))
  const delta = rest[0] === '-' ? -d : d
  if (!/^x\d+$/.test(rest2)) throw new Error(`invalid ST item ${JSON.stringify(item)}: expected 'x<count>' after step duration`)
  const out: number[] = []
  let offset = base
  for (let i = 0; i <= Number(rest2.slice(1)); i++) {
    out.push(offset)
    offset += delta
  }
  return out
}

/** An optionally signed duration at the start of s (digits, then unit letters other than x): [ms, rest]. */
function parseSignedDurationPrefix(s: string): [number, string] {
  const m = /^([-+]?)(\d+)([a-wyzA-Z]*)/.exec(s)
  if (!m) throw new Error(`expected digits in duration ${JSON.stringify(s)}`)
  const ms = parseDuration(m[2]! + m[3]!)
  return [m[1] === '-' ? -ms : ms, s.slice(m[0].length)]
}

export function staleValue(): number {
  return STALE_NAN
}

export function parseScript(text: string): Command[] {
  const lines = text.split('\n')
  const cmds: Command[] = []
  let i = 0
  const body = (): {line: string; n: number}[] => {
    const out: {line: string; n: number}[] = []
    while (i < lines.length && /^\s+\S/.test(lines[i]!) && !/^\s*#/.test(lines[i]!)) {
      out.push({line: lines[i]!.trim(), n: i + 1})
      i++
    }
    return out
  }
  while (i < lines.length) {
    const raw = lines[i]!
    const line = raw.trim()
    const n = i + 1
    i++
    if (line === '' || line.startsWith('#')) continue
    let m: RegExpExecArray | null
    if ((m = /^load(_with_nhcb)?\s+(\S+)$/.exec(line))) {
      const series: SeriesDesc[] = []
      let native = false
      let pendingST: {labels: Labels; offsets: (number | undefined)[]; n: number} | undefined
      for (const b of body()) {
        if (isSTLine(b.line)) {
          if (pendingST) throw new Error(`line ${pendingST.n}: @st line has no following sample line`)
          pendingST = {...parseSTLine(b.line), n: b.n}
          continue
        }
        const {labels, rest} = parseSeriesHead(b.line)
        const v = parseValues(rest)
        native ||= v.native
        const desc: SeriesDesc = {labels, values: v.values, nativeHistogram: v.native}
        if (pendingST) {
          if (labelsKey(pendingST.labels) !== labelsKey(labels)) throw new Error(`line ${pendingST.n}: @st metric does not match the following sample line metric`)
          // histogram sample lines expand elsewhere: only float lines are length-checked
          if (!v.native && pendingST.offsets.length !== v.values.length) {
            throw new Error(`line ${pendingST.n}: @st line has ${pendingST.offsets.length} values but sample line has ${v.values.length}`)
          }
          desc.stOffsets = pendingST.offsets
          pendingST = undefined
        }
        series.push(desc)
      }
      if (pendingST) throw new Error(`line ${pendingST.n}: @st line has no following sample line`)
      cmds.push({kind: 'load', line: n, intervalMs: parseDuration(m[2]!), series, nativeHistogram: native, withNhcb: !!m[1]})
      continue
    }
    if (line === 'clear') {
      cmds.push({kind: 'clear', line: n})
      continue
    }
    if ((m = /^eval(_fail|_warn|_info|_ordered)?\s+(?:instant\s+at\s+(\S+)|range\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+))\s+(.*)$/.exec(line))) {
      const instant = m[2] !== undefined
      const cmd: Extract<Command, {kind: 'eval'}> = {
        kind: 'eval',
        line: n,
        query: m[6]!,
        instant,
        start: parseTime(instant ? m[2]! : m[3]!),
        end: parseTime(instant ? m[2]! : m[4]!),
        step: instant ? 0 : parseTime(m[5]!),
        fail: m[1] === '_fail',
        ordered: m[1] === '_ordered',
        expectRangeVector: false,
        expected: [],
        nativeHistogram: false,
        warn: m[1] === '_warn',
        info: m[1] === '_info',
        annotations: [],
      }
      for (const b of body()) {
        let e: RegExpExecArray | null
        if ((e = /^expect\s+fail(?:\s+(msg|regex):\s?(.*))?$/.exec(b.line))) {
          cmd.fail = true
          if (e[1] === 'msg') cmd.failMessage = e[2]!.trim()
          if (e[1] === 'regex') cmd.failRegexp = new RegExp(e[2]!.trim())
        } else if (/^expect\s+ordered/.test(b.line)) cmd.ordered = true
        else if ((e = /^expect\s+string\s+(.*)$/.exec(b.line))) cmd.expectString = unquote(e[1]!.trim())
        else if (/^expect\s+range vector/.test(b.line)) cmd.expectRangeVector = true
        else if ((e = /^expect\s+(warn|no_warn|info|no_info)(?:\s+(msg|regex):(.+))?$/.exec(b.line))) {
          const x: AnnotationExpect = {kind: e[1] as AnnotationExpect['kind']}
          if (e[2] === 'msg') x.message = e[3]!.trim()
          if (e[2] === 'regex') x.regex = new RegExp(e[3]!.trim())
          cmd.annotations.push(x)
        } else if (/^expect\s+/.test(b.line)) throw new Error(`line ${b.n}: unknown expect line ${JSON.stringify(b.line)}`)
        else if ((e = /^expected_fail_message\s+(.*)$/.exec(b.line))) cmd.failMessage = e[1]!.trim()
        else if ((e = /^expected_fail_regexp\s+(.*)$/.exec(b.line))) cmd.failRegexp = new RegExp(e[1]!.trim())
        else if (/^[-+]?(\d|Inf|NaN|\.)/i.test(b.line) && !b.line.includes('{')) {
          cmd.expectedScalar = parseNumber(b.line.split(/\s+/)[0]!)
        } else {
          const {labels, rest} = parseSeriesHead(b.line)
          const v = parseValues(rest)
          cmd.nativeHistogram ||= v.native
          cmd.expected.push({labels, values: v.values, nativeHistogram: v.native})
        }
      }
      if (/\{\{/.test(cmd.query)) cmd.nativeHistogram = true
      cmds.push(cmd)
      continue
    }
    // unknown command: surface it as a failing eval so it is not silently ignored
    cmds.push({kind: 'eval', line: n, query: `<unknown command: ${line}>`, instant: true, start: 0, end: 0, step: 0, fail: false, ordered: false, expectRangeVector: false, expected: [], nativeHistogram: false, warn: false, info: false, annotations: []})
  }
  return cmds
}
