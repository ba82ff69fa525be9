/**
 * Protobuf coding of the Rules, Targets, Metadata and Exemplars messages by protobufjs
 * reflection over proto/thanos (storepb/proto-root.ts).
 *
 * Encoding writes what Go's generated code writes: proto3 fields at their zero value are left
 * out (protobufjs would write any field that is set, zeros included), while message fields
 * are always written, even empty, as gogoproto's non-nullable fields are (labels, times).
 * Decoding gives every field its value or default, absent sub-messages as empty ones
 * (non-nullable upstream), except AlertInstance.active_at, which stays absent.
 */
import protobuf from 'protobufjs'
import {thanosRoot} from '../storepb/proto-root.js'
import type {
  ExemplarsFrame,
  ExemplarsRequest,
  MetadataFrame,
  MetricMetadataRequest,
  RulesFrame,
  RulesRequest,
  TargetsFrame,
  TargetsRequest,
} from './messages.js'

type Obj = Record<string, unknown>

/** Message fields that are nullable upstream: absent stays absent when decoding. */
const NULLABLE = new Set(['thanos.AlertInstance.active_at'])

/** The message type of a field, or null for scalars and enums. */
function messageType(f: protobuf.Field): protobuf.Type | null {
  const t = f.resolve().resolvedType
  return t instanceof protobuf.Type ? t : null
}

function isZero(v: unknown): boolean {
  return v === 0 || v === '' || v === false
}

/** `obj` without zero-valued scalars, recursively: what Go would put on the wire. */
function pruned(type: protobuf.Type, obj: Obj): Obj {
  const out: Obj = {}
  for (const f of type.fieldsArray) {
    const v = obj[f.name]
    if (v === undefined || v === null) continue
    const sub = messageType(f)
    if (f.map) {
      // null prototype: a key named __proto__ stays a key
      const m = Object.create(null) as Obj
      for (const [k, e] of Object.entries(v as Obj)) m[k] = sub ? pruned(sub, e as Obj) : e
      out[f.name] = m
    } else if (f.repeated) {
      out[f.name] = sub ? (v as Obj[]).map((e) => pruned(sub, e)) : v
    } else if (sub) {
      out[f.name] = pruned(sub, v as Obj)
    } else if (f.partOf || !isZero(v)) {
      // a oneof member is written when set, even at its zero value
      out[f.name] = v
    }
  }
  return out
}

const TO_OBJECT: protobuf.IConversionOptions = {longs: Number, enums: Number, defaults: true, arrays: true, objects: true}

/** Absent non-nullable sub-messages become empty ones with defaults, recursively. */
function filled(type: protobuf.Type, obj: Obj): Obj {
  for (const f of type.fieldsArray) {
    const sub = messageType(f)
    if (!sub) continue
    const v = obj[f.name]
    if (f.map) {
      for (const [k, e] of Object.entries((v ?? {}) as Obj)) (v as Obj)[k] = filled(sub, e as Obj)
    } else if (f.repeated) {
      obj[f.name] = ((v ?? []) as Obj[]).map((e) => filled(sub, e))
    } else if (v !== undefined && v !== null) {
      obj[f.name] = filled(sub, v as Obj)
    } else if (f.partOf || NULLABLE.has(`${type.fullName.slice(1)}.${f.name}`)) {
      delete obj[f.name]
    } else {
      obj[f.name] = filled(sub, sub.toObject(sub.create(), TO_OBJECT))
    }
  }
  return obj
}

export interface MessageCodec<T> {
  encode(m: T): Uint8Array
  decode(b: Uint8Array): T
}

function codec<T>(typeName: string): MessageCodec<T> {
  let type: protobuf.Type | undefined
  const t = (): protobuf.Type => (type ??= thanosRoot().lookupType(typeName))
  return {
    encode: (m) => t().encode(pruned(t(), m as Obj)).finish(),
    decode: (b) => filled(t(), t().toObject(t().decode(b), TO_OBJECT)) as T,
  }
}

export const rulesRequestCodec = codec<RulesRequest>('thanos.RulesRequest')
export const rulesResponseCodec = codec<RulesFrame>('thanos.RulesResponse')
export const targetsRequestCodec = codec<TargetsRequest>('thanos.TargetsRequest')
export const targetsResponseCodec = codec<TargetsFrame>('thanos.TargetsResponse')
export const metadataRequestCodec = codec<MetricMetadataRequest>('thanos.MetricMetadataRequest')
export const metadataResponseCodec = codec<MetadataFrame>('thanos.MetricMetadataResponse')
export const exemplarsRequestCodec = codec<ExemplarsRequest>('thanos.ExemplarsRequest')
export const exemplarsResponseCodec = codec<ExemplarsFrame>('thanos.ExemplarsResponse')
