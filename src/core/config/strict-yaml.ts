/**
 * Strict YAML decoding with the semantics of Go's gopkg.in/yaml.v2 `UnmarshalStrict`, which Thanos
 * uses for bucket configs (thanos-io/objstore `client/factory.go`, `providers/s3/s3.go`):
 * - scalars are resolved with YAML 1.1 rules (`yes`/`on` are booleans, `0x10` is an int);
 * - a scalar decoded into a string field keeps its source text (`bucket: 0123` is "0123");
 * - an explicit null (`key:`, `~`, `null`) sets the field to its zero value, not its default;
 * - unknown and duplicate keys are errors.
 * Errors name the full key path (`config.http_config.tls_config.ca_file`).
 */
import {eventsToAst, parseEvents, YAML11_SCHEMA, type Node as AstNode} from 'js-yaml'
import {BadDataError} from '../errors.js'
import {parseDuration} from '../promql/parser/duration.js'

const TAG = 'tag:yaml.org,2002:'

export type YamlNode =
  | {kind: 'scalar'; tag: string; value: string}
  | {kind: 'seq'; items: YamlNode[]}
  | {kind: 'map'; entries: Array<[string, YamlNode]>}

/** Parses one YAML document; an empty document is null. `what` prefixes error messages. */
export function parseYamlDocument(text: string, what: string): YamlNode | null {
  let docs
  try {
    docs = eventsToAst(parseEvents(text, {}), {source: text, schema: YAML11_SCHEMA})
  } catch (e) {
    throw new BadDataError(`${what}: invalid YAML: ${(e as Error).message}`, {cause: e})
  }
  if (docs.length > 1) throw new BadDataError(`${what}: expected one YAML document, got ${docs.length}`)
  const root = docs[0]?.contents
  return root ? convert(root, new Map(), what) : null
}

function convert(n: AstNode, anchors: Map<string, YamlNode>, what: string): YamlNode {
  let out: YamlNode
  switch (n.kind) {
    case 'alias': {
      const target = anchors.get(n.anchor)
      if (!target) throw new BadDataError(`${what}: unknown YAML anchor *${n.anchor}`)
      return target
    }
    case 'scalar':
      out = {kind: 'scalar', tag: n.tag.startsWith(TAG) ? n.tag.slice(TAG.length) : n.tag, value: n.value}
      break
    case 'sequence':
      out = {kind: 'seq', items: n.items.map((i) => convert(i, anchors, what))}
      break
    case 'mapping': {
      const entries: Array<[string, YamlNode]> = []
      for (const {key, value} of n.items) {
        const k = convert(key, anchors, what)
        if (k.kind !== 'scalar') throw new BadDataError(`${what}: a mapping key must be a scalar`)
        entries.push([k.tag === 'null' ? '' : k.value, convert(value, anchors, what)])
      }
      out = {kind: 'map', entries}
      break
    }
  }
  if (n.anchor) anchors.set(n.anchor, out)
  return out
}

function isNull(n: YamlNode | undefined): boolean {
  return n === undefined || (n.kind === 'scalar' && n.tag === 'null')
}

function describe(n: YamlNode): string {
  return n.kind === 'scalar' ? `!!${n.tag} \`${n.value}\`` : n.kind === 'seq' ? '!!seq' : '!!map'
}

/**
 * The keys of one YAML mapping, taken one by one by a decoder; `done()` rejects what is left.
 * A null node (the key given without a value) is an empty mapping, as yaml.v2 zeroes the struct.
 */
export class StrictMap {
  private readonly values = new Map<string, YamlNode>()

  constructor(
    node: YamlNode | null | undefined,
    readonly path: string,
    private readonly what: string,
  ) {
    if (node === null || node === undefined || isNull(node)) return
    if (node.kind !== 'map') throw this.error(path, `cannot unmarshal ${describe(node)} into a mapping`)
    for (const [k, v] of node.entries) {
      if (this.values.has(k)) throw this.error(this.keyPath(k), 'key is set twice')
      this.values.set(k, v)
    }
  }

  keyPath(key: string): string {
    return this.path ? `${this.path}.${key}` : key
  }

  error(path: string, msg: string): BadDataError {
    return new BadDataError(`${this.what}: ${path}: ${msg}`)
  }

  has(key: string): boolean {
    return this.values.has(key)
  }

  /** Whether `key` is given with an explicit null value (`key:`, `key: ~`). */
  isNull(key: string): boolean {
    return this.values.has(key) && isNull(this.values.get(key))
  }

  /** The raw node of `key` (removed from the unknown-key check), or undefined when absent. */
  take(key: string): YamlNode | undefined {
    const v = this.values.get(key)
    this.values.delete(key)
    return v
  }

  /** A string field; absent keeps `def`, null is "" (yaml.v2's zero value). */
  str(key: string, def = ''): string {
    if (!this.values.has(key)) return def
    const n = this.take(key)!
    if (isNull(n)) return ''
    if (n.kind !== 'scalar') throw this.error(this.keyPath(key), `cannot unmarshal ${describe(n)} into a string`)
    return n.value
  }

  bool(key: string, def = false): boolean {
    if (!this.values.has(key)) return def
    const n = this.take(key)!
    if (isNull(n)) return false
    if (n.kind === 'scalar' && n.tag === 'bool') return /^(y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON)$/.test(n.value)
    throw this.error(this.keyPath(key), `cannot unmarshal ${describe(n)} into a bool`)
  }

  int(key: string, def = 0): number {
    if (!this.values.has(key)) return def
    const n = this.take(key)!
    if (isNull(n)) return 0
    const v = n.kind === 'scalar' ? yamlInt(n) : undefined
    if (v === undefined) throw this.error(this.keyPath(key), `cannot unmarshal ${describe(n)} into an integer`)
    return v
  }

  /** A Prometheus `model.Duration` (`1m30s`, `2m`, `0`) in milliseconds. */
  durationMs(key: string, def = 0): number {
    if (!this.values.has(key)) return def
    const n = this.take(key)!
    if (isNull(n)) return 0
    if (n.kind !== 'scalar') throw this.error(this.keyPath(key), `cannot unmarshal ${describe(n)} into a duration`)
    try {
      return parseDuration(n.value)
    } catch (e) {
      throw this.error(this.keyPath(key), (e as Error).message)
    }
  }

  /** A map of strings (`put_user_metadata`); absent or null is empty. */
  stringMap(key: string): Record<string, string> {
    const m = new StrictMap(this.take(key), this.keyPath(key), this.what)
    const out: Record<string, string> = {}
    for (const k of m.values.keys()) out[k] = m.str(k)
    return out
  }

  /** A nested mapping decoded by its own StrictMap. */
  map(key: string): StrictMap {
    return new StrictMap(this.take(key), this.keyPath(key), this.what)
  }

  /** The keys no decoder took (for lenient decoders that warn instead, as yaml.v2's Unmarshal ignores them). */
  unknownKeys(): string[] {
    return [...this.values.keys()].map((k) => this.keyPath(k))
  }

  /** Rejects every key no decoder took, naming the first one and the keys that are known. */
  done(known: readonly string[]): void {
    const left = [...this.values.keys()]
    if (left.length === 0) return
    throw this.error(this.keyPath(left[0]!), `unknown key (known keys${this.path ? ` of ${this.path}` : ''}: ${known.join(', ')})`)
  }
}

/** A YAML 1.1 integer (or an integral float, which yaml.v2 also accepts into an int field). */
function yamlInt(n: {tag: string; value: string}): number | undefined {
  const s = n.value.replace(/_/g, '')
  let v: number
  if (n.tag === 'int') {
    const m = /^([-+]?)(0b[01]+|0x[0-9a-fA-F]+|0o?[0-7]+|[0-9]+)$/.exec(s)
    if (!m) return undefined
    const body = m[2]!
    v = body.startsWith('0b')
      ? parseInt(body.slice(2), 2)
      : body.startsWith('0x')
        ? parseInt(body.slice(2), 16)
        : body.length > 1 && body.startsWith('0')
          ? parseInt(body.replace(/^0o?/, ''), 8)
          : parseInt(body, 10)
    if (m[1] === '-') v = -v
  } else if (n.tag === 'float') {
    v = Number(s)
    if (!Number.isInteger(v)) return undefined
  } else {
    return undefined
  }
  return Number.isSafeInteger(v) ? v : undefined
}
