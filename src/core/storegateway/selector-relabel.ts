/**
 * --selector.relabel-config(-file): which blocks this store serves, by relabelling each block's
 * external labels plus `__block_id` (its ULID), as Thanos's LabelShardedMetaFilter
 * (pkg/block/fetcher.go) does for sharding store gateways. The config is Prometheus's relabel
 * config list (model/relabel/relabel.go) restricted to the actions Thanos allows there
 * (block.SelectorSupportedRelabelActions): `keep`, `drop`, `hashmod`. A block is served unless a
 * rule drops it. `hashmod` sets `target_label` to md5(value)'s last 8 bytes, big-endian, modulo
 * `modulus`, as Prometheus, so shards agree with Thanos's.
 *
 * Decoding is strict (unknown keys are errors), as the bucket config here.
 */
import {createHash} from 'node:crypto'
import {BadDataError} from '../errors.js'
import {StrictMap, parseYamlDocument} from '../config/strict-yaml.js'
import {Matcher, MatchType} from '../labels/matcher.js'

export const BLOCK_ID_LABEL = '__block_id'

export interface SelectorRelabelRule {
  action: 'keep' | 'drop' | 'hashmod'
  sourceLabels: string[]
  separator: string
  /** The anchored regex (Prometheus: ^(?s:regex)$), as a matcher. */
  regex: Matcher
  modulus: bigint
  targetLabel: string
}

const WHAT = 'selector relabel config'
const KEYS = ['source_labels', 'separator', 'regex', 'modulus', 'target_label', 'replacement', 'action'] as const
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/

/** Parses the YAML list; an empty document is no rule (every block served). */
export function parseSelectorRelabelConfig(text: string): SelectorRelabelRule[] {
  const root = parseYamlDocument(text, WHAT)
  if (root === null || (root.kind === 'scalar' && root.tag === 'null')) return []
  if (root.kind !== 'seq') throw new BadDataError(`${WHAT}: want a list of relabel configs`)
  return root.items.map((item, i) => {
    const m = new StrictMap(item, `[${i}]`, WHAT)
    const src = m.take('source_labels')
    const sourceLabels: string[] = []
    if (src !== undefined && !(src.kind === 'scalar' && src.tag === 'null')) {
      if (src.kind !== 'seq') throw m.error(m.keyPath('source_labels'), 'want a list of label names')
      for (const s of src.items) {
        if (s.kind !== 'scalar') throw m.error(m.keyPath('source_labels'), 'want a list of label names')
        if (!LABEL_NAME.test(s.value)) throw m.error(m.keyPath('source_labels'), `${JSON.stringify(s.value)} is not a valid label name`)
        sourceLabels.push(s.value)
      }
    }
    const separator = m.has('separator') ? m.str('separator') : ';'
    const regexText = m.has('regex') ? m.str('regex') : '(.*)'
    const modulusRaw = m.has('modulus') ? m.int('modulus') : 0
    const targetLabel = m.str('target_label')
    m.str('replacement')
    const action = (m.has('action') ? m.str('action') : 'replace').toLowerCase()
    m.done(KEYS)
    if (action !== 'keep' && action !== 'drop' && action !== 'hashmod') {
      throw m.error(m.keyPath('action'), `unsupported relabel action: ${action} (a selector supports keep, drop, hashmod)`)
    }
    let regex: Matcher
    try {
      regex = new Matcher(MatchType.RE, '', regexText)
    } catch (e) {
      throw m.error(m.keyPath('regex'), (e as Error).message)
    }
    if (modulusRaw < 0) throw m.error(m.keyPath('modulus'), 'must not be negative')
    if (action === 'hashmod') {
      if (modulusRaw === 0) throw m.error(m.keyPath('modulus'), 'relabel configuration for hashmod requires non-zero modulus')
      if (targetLabel === '') throw m.error(m.keyPath('target_label'), 'relabel configuration for hashmod action requires \'target_label\' value')
      if (!LABEL_NAME.test(targetLabel)) throw m.error(m.keyPath('target_label'), `${JSON.stringify(targetLabel)} is invalid 'target_label' for hashmod action`)
    }
    return {action, sourceLabels, separator, regex, modulus: BigInt(modulusRaw), targetLabel}
  })
}

/** Whether a block with these labels (external labels and __block_id) survives the rules. */
export function selectorKeeps(rules: readonly SelectorRelabelRule[], labels: Record<string, string>): boolean {
  const ls = new Map(Object.entries(labels))
  for (const r of rules) {
    const val = r.sourceLabels.map((n) => ls.get(n) ?? '').join(r.separator)
    switch (r.action) {
      case 'keep':
        if (!r.regex.matches(val)) return false
        break
      case 'drop':
        if (r.regex.matches(val)) return false
        break
      case 'hashmod': {
        const h = createHash('md5').update(val).digest()
        ls.set(r.targetLabel, String(h.readBigUInt64BE(8) % r.modulus))
        break
      }
    }
  }
  return true
}
