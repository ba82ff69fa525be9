/**
 * JSON text as Go's encoding/json writes it, so files we write (meta.json, markers) are byte
 * for byte what Thanos writes for the same content: struct fields in declaration order, map
 * keys sorted, `<`, `>`, `&`, U+2028 and U+2029 escaped (json.Encoder's default HTML escaping),
 * and with an indent the layout of json.MarshalIndent (`{}`/`[]` for empty containers).
 * JSON.stringify cannot do the first two: it orders integer-like keys first.
 */

/** A Go struct: fields in order. A plain object is a Go map: keys sorted. */
export class GoStruct {
  constructor(readonly fields: ReadonlyArray<readonly [string, GoJsonValue]>) {}
}

export type GoJsonValue = string | number | boolean | null | readonly GoJsonValue[] | GoStruct | {readonly [k: string]: GoJsonValue}

export function goJsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

function goNumber(n: number): string {
  if (!Number.isFinite(n)) throw new TypeError(`json: unsupported value: ${n}`)
  return Object.is(n, -0) ? '-0' : String(n)
}

/** Encodes `v`; `indent` as json.MarshalIndent's (e.g. '\t'), '' for json.Marshal's compact form. */
export function goJson(v: GoJsonValue, indent = ''): string {
  return encode(v, indent, '')
}

function encode(v: GoJsonValue, indent: string, prefix: string): string {
  if (v === null) return 'null'
  if (typeof v === 'string') return goJsonString(v)
  if (typeof v === 'number') return goNumber(v)
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  let items: string[]
  let open: string
  let close: string
  const inner = prefix + indent
  const sep = indent ? ': ' : ':'
  if (Array.isArray(v)) {
    items = (v as readonly GoJsonValue[]).map((x) => encode(x, indent, inner))
    open = '['
    close = ']'
  } else {
    const fields =
      v instanceof GoStruct
        ? v.fields
        : Object.keys(v)
            .sort(compareBytes)
            .map((k) => [k, (v as {[k: string]: GoJsonValue})[k]!] as const)
    items = fields.map(([k, x]) => goJsonString(k) + sep + encode(x, indent, inner))
    open = '{'
    close = '}'
  }
  if (items.length === 0) return open + close
  if (!indent) return open + items.join(',') + close
  return `${open}\n${inner}${items.join(`,\n${inner}`)}\n${prefix}${close}`
}

/** Go sorts map keys as byte strings; compare UTF-8 bytes, not UTF-16 units. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}

/** Turns parsed JSON of unknown shape into Go map semantics (what Go re-marshals for an `any` field). */
export function asGoMap(v: unknown): GoJsonValue {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v
  if (Array.isArray(v)) return v.map(asGoMap)
  if (typeof v === 'object') {
    const out: {[k: string]: GoJsonValue} = Object.create(null) as {[k: string]: GoJsonValue}
    for (const [k, x] of Object.entries(v as object)) out[k] = asGoMap(x)
    return out
  }
  return null
}

/** Parsed JSON kept in its original key order (for Go structs we do not model field by field). */
export function asGoStructAsParsed(v: unknown): GoJsonValue {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v
  if (Array.isArray(v)) return v.map(asGoStructAsParsed)
  if (typeof v === 'object') return new GoStruct(Object.entries(v as object).map(([k, x]) => [k, asGoStructAsParsed(x)] as const))
  return null
}
