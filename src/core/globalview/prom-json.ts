/**
 * Reading fields of Prometheus's API JSON the way Go's encoding/json fills Thanos's structs:
 * a missing or null field is the zero value, a field of the wrong type fails the call (an
 * internal error, as Thanos's promclient returns codes.Internal for a body it cannot decode).
 */
import {ThanostsError} from '../errors.js'
import {labelsFromRecord, mergeLabels, type Labels} from '../labels/labels.js'
import type {PbLabelSet} from './messages.js'

export type JsonObject = Record<string, unknown>

function malformed(what: string, v: unknown, want: string): ThanostsError {
  return new ThanostsError('internal', `${what}: expected ${want}, got ${JSON.stringify(v)?.slice(0, 200)}`)
}

export function jsonObject(v: unknown, what: string): JsonObject {
  if (v === undefined || v === null) return {}
  if (typeof v !== 'object' || Array.isArray(v)) throw malformed(what, v, 'an object')
  return v as JsonObject
}

export function jsonArray(v: unknown, what: string): unknown[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) throw malformed(what, v, 'an array')
  return v
}

export function jsonString(o: JsonObject, key: string, what: string): string {
  const v = o[key]
  if (v === undefined || v === null) return ''
  if (typeof v !== 'string') throw malformed(`${what}.${key}`, v, 'a string')
  return v
}

export function jsonNumber(o: JsonObject, key: string, what: string): number {
  const v = o[key]
  if (v === undefined || v === null) return 0
  if (typeof v !== 'number') throw malformed(`${what}.${key}`, v, 'a number')
  return v
}

/** A label object (`{"job": "x"}`) as sorted labels, as Prometheus's labels.Labels JSON. */
export function jsonLabels(v: unknown, what: string): Labels {
  const o = jsonObject(v, what)
  const rec: Record<string, string> = {}
  for (const [k, val] of Object.entries(o)) {
    if (typeof val !== 'string') throw malformed(`${what}.${k}`, val, 'a string label value')
    rec[k] = val
  }
  return labelsFromRecord(rec)
}

/**
 * `ls` with the external labels added, which win over labels of the same name, as Thanos's
 * labelpb.ExtendSortedLabels: with external labels the result is built by Prometheus's
 * labels.Builder, which also drops empty values; without them `ls` is kept as it is.
 */
export function extendLabels(ls: Labels, ext: Labels): Labels {
  if (ext.length === 0) return ls
  return mergeLabels(ls, ext).filter((l) => l.value !== '')
}

export function labelSet(ls: Labels): PbLabelSet {
  return {labels: ls}
}

/**
 * A float as Go's strconv.ParseFloat reads Prometheus's quoted sample values ("1", "2.5",
 * "NaN", "+Inf", "-Inf"); JavaScript's Number() would read "+Inf" as NaN and "" as 0.
 */
export function parseGoFloat(s: string, what: string): number {
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(s)
  if (special) {
    if (special[2]!.toLowerCase() === 'nan') {
      if (special[1] === '') return NaN
    } else return special[1] === '-' ? -Infinity : Infinity
  }
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s)
  throw new ThanostsError('internal', `${what}: cannot parse ${JSON.stringify(s)} as a float`)
}
