/**
 * labels/: label sets and matchers, shared by every layer (wire, store, dedup, PromQL).
 *
 * A label set is a plain array of {name, value} sorted by name, the same shape as the
 * protobuf `Label` messages, so series labels travel from the wire to the engine without
 * being copied into another representation.
 */

export interface Label {
  name: string
  value: string
}

/** Sorted by name, names unique. Treat as immutable: share, never mutate in place. */
export type Labels = readonly Label[]

export const METRIC_NAME = '__name__'

/**
 * Go's string order: bytewise over UTF-8, which is code point order. JS `<` compares UTF-16 code
 * units, which differs exactly where one string has an astral character (a surrogate pair,
 * U+10000 and up) and the other a character in U+E000–U+FFFF at the first difference: there
 * UTF-16 puts the astral character first, UTF-8 last. TSDB blocks, stores and Prometheus's APIs
 * all sort by bytes, so the merge must too.
 */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0
  const n = a.length < b.length ? a.length : b.length
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    if (x >= 0xd800 && y >= 0xd800) {
      const xSurrogate = x < 0xe000
      if (xSurrogate !== y < 0xe000) return xSurrogate ? 1 : -1
    }
    return x < y ? -1 : 1
  }
  return a.length < b.length ? -1 : 1
}

/** Order of label sets as Prometheus's labels.Compare: pairwise by name, then value, then length. */
export function compareLabels(a: Labels, b: Labels): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a[i]!
    const y = b[i]!
    if (x.name !== y.name) return compareStrings(x.name, y.name)
    if (x.value !== y.value) return compareStrings(x.value, y.value)
  }
  return a.length - b.length
}

/** Whether the items' label sets are in strictly increasing order: sorted, and no two equal. */
export function inStrictLabelOrder(items: readonly {readonly labels: Labels}[]): boolean {
  for (let i = 1; i < items.length; i++) if (compareLabels(items[i - 1]!.labels, items[i]!.labels) >= 0) return false
  return true
}

export function sortLabels(ls: Label[]): Label[] {
  return ls.sort((x, y) => compareStrings(x.name, y.name))
}

/** Builds a sorted label set from a record; empty values are dropped as in Prometheus. */
export function labelsFromRecord(rec: Record<string, string>): Labels {
  const out: Label[] = []
  for (const [name, value] of Object.entries(rec)) if (value !== '') out.push({name, value})
  return sortLabels(out)
}

export function labelsToRecord(ls: Labels): Record<string, string> {
  const rec: Record<string, string> = {}
  for (const l of ls) rec[l.name] = l.value
  return rec
}

export function getLabel(ls: Labels, name: string): string {
  for (const l of ls) if (l.name === name) return l.value
  return ''
}

export function labelsEqual(a: Labels, b: Labels): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.name !== b[i]!.name || a[i]!.value !== b[i]!.value) return false
  }
  return true
}

/** A string that identifies the set; cheap and collision-free (NUL cannot appear unescaped in names). */
export function labelsKey(ls: Labels): string {
  let s = ''
  for (const l of ls) s += l.name + '\xff' + l.value + '\xfe'
  return s
}

/** Prometheus's text form: `name{a="b", c="d"}` with Go-style quoting of values. */
export function labelsToString(ls: Labels): string {
  let name = ''
  const parts: string[] = []
  for (const l of ls) {
    if (l.name === METRIC_NAME) name = l.value
    else parts.push(`${l.name}=${JSON.stringify(l.value)}`)
  }
  return parts.length === 0 && name !== '' ? name : `${name}{${parts.join(', ')}}`
}

/**
 * Prometheus's labels.Labels.String() (model/labels/labels_common.go), as its error messages
 * print label sets: `{__name__="x", a="b"}`, names outside the legacy charset quoted.
 */
export function labelsToGoString(ls: Labels): string {
  const q = (s: string) => JSON.stringify(s).replace(/\\u007f/g, '\\x7f')
  return `{${ls.map((l) => `${/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(l.name) ? l.name : q(l.name)}=${q(l.value)}`).join(', ')}}`
}

/** Returns ls without the named labels (keeps order). */
export function withoutLabels(ls: Labels, names: ReadonlySet<string>): Labels {
  if (names.size === 0) return ls
  let drop = false
  for (const l of ls) if (names.has(l.name)) { drop = true; break }
  return drop ? ls.filter((l) => !names.has(l.name)) : ls
}

/**
 * Merges `ext` into sorted `ls`; on a name present in both, `ext` wins
 * (Thanos's sidecar: external labels override the series' own).
 */
export function mergeLabels(ls: Labels, ext: Labels): Labels {
  if (ext.length === 0) return ls
  const out: Label[] = []
  let i = 0
  let j = 0
  while (i < ls.length || j < ext.length) {
    if (j >= ext.length || (i < ls.length && ls[i]!.name < ext[j]!.name)) out.push(ls[i++]!)
    else if (i >= ls.length || ext[j]!.name < ls[i]!.name) out.push(ext[j++]!)
    else {
      out.push(ext[j++]!)
      i++
    }
  }
  return out
}
