/**
 * `--selector.relabel-config` of `tools bucket ls`: Prometheus relabelling of each block's
 * external labels plus `__block_id` (thanos pkg/block/fetcher.go LabelShardedMetaFilter); a
 * block whose labels end up empty (a `keep` that does not match, a `drop` that does) is left
 * out. Thanos allows the actions keep, drop and hashmod there (SelectorSupportedRelabelActions,
 * ParseRelabelConfig); their semantics and validation follow prometheus model/relabel/relabel.go:
 * source label values joined by `separator` (`;`), `regex` fully anchored (`^(?s:re)$`, RE2),
 * default `(.*)`; hashmod sets `target_label` to the big-endian uint64 of the last 8 bytes of the
 * value's MD5, modulo `modulus`.
 *
 * Decoding is strict (an unknown key is an error), where Thanos's yaml.Unmarshal ignores one.
 */
import {createHash} from 'node:crypto'
import {parseYamlDocument, StrictMap} from '../config/strict-yaml.js'
import {BadDataError} from '../errors.js'
import {compileRe2} from '../labels/re2.js'
import type {MetaFilter} from '../storegateway/meta-fetcher.js'

/** block.BlockIDLabel. */
export const BLOCK_ID_LABEL = '__block_id'

const WHAT = 'parsing relabel configuration'
const KEYS = ['source_labels', 'separator', 'regex', 'modulus', 'target_label', 'replacement', 'action']
const ALL_ACTIONS = ['replace', 'keep', 'drop', 'hashmod', 'labelmap', 'labeldrop', 'labelkeep', 'lowercase', 'uppercase', 'keepequal', 'dropequal']
const SUPPORTED = new Set(['keep', 'drop', 'hashmod'])

export type SelectorRelabel =
  | {action: 'keep' | 'drop'; sourceLabels: string[]; separator: string; regex: RegExp}
  | {action: 'hashmod'; sourceLabels: string[]; separator: string; modulus: bigint; targetLabel: string}

/** Decodes and validates a relabel config list. @throws BadDataError naming what is wrong. */
export function parseSelectorRelabel(text: string): SelectorRelabel[] {
  const doc = parseYamlDocument(text, WHAT)
  if (doc === null) return []
  if (doc.kind !== 'seq') throw new BadDataError(`${WHAT}: want a list of relabel configs`)
  return doc.items.map((item, i) => {
    const m = new StrictMap(item, `[${i}]`, WHAT)
    const src = m.take('source_labels')
    let sourceLabels: string[] = []
    if (src !== undefined && !(src.kind === 'scalar' && src.tag === 'null')) {
      if (src.kind !== 'seq' || src.items.some((x) => x.kind !== 'scalar')) throw m.error(m.keyPath('source_labels'), 'want a list of label names')
      sourceLabels = src.items.map((x) => (x as {value: string}).value)
    }
    const separator = m.str('separator', ';')
    const regexSrc = m.str('regex', '(.*)')
    const modulus = m.int('modulus', 0)
    const targetLabel = m.str('target_label', '')
    m.str('replacement', '$1')
    const rawAction = m.str('action', 'replace')
    m.done(KEYS)
    const action = rawAction.toLowerCase()
    if (!ALL_ACTIONS.includes(action)) throw m.error(m.keyPath('action'), `unknown relabel action ${JSON.stringify(rawAction)}`)
    if (action === 'hashmod') {
      if (modulus === 0) throw new BadDataError('validate relabel config: relabel configuration for hashmod requires non-zero modulus')
      if (modulus < 0) throw m.error(m.keyPath('modulus'), 'cannot unmarshal a negative number into a uint64')
      if (targetLabel === '') throw new BadDataError("validate relabel config: relabel configuration for hashmod action requires 'target_label' value")
    }
    if (!SUPPORTED.has(action)) throw new BadDataError(`unsupported relabel action: ${action}`)
    if (action === 'hashmod') return {action, sourceLabels, separator, modulus: BigInt(modulus), targetLabel}
    let regex: RegExp
    try {
      regex = compileRe2(regexSrc)
    } catch (e) {
      throw new BadDataError(`${WHAT}: [${i}].regex: ${(e as Error).message}`, {cause: e})
    }
    return {action: action as 'keep' | 'drop', sourceLabels, separator, regex}
  })
}

/** relabel.Process over `labels`: false when the labels are dropped. */
export function relabelKeeps(configs: readonly SelectorRelabel[], labels: Map<string, string>): boolean {
  for (const c of configs) {
    const val = c.sourceLabels.map((n) => labels.get(n) ?? '').join(c.separator)
    switch (c.action) {
      case 'keep':
        if (!c.regex.test(val)) return false
        break
      case 'drop':
        if (c.regex.test(val)) return false
        break
      case 'hashmod': {
        const sum = createHash('md5').update(val, 'utf8').digest()
        labels.set(c.targetLabel, String(sum.readBigUInt64BE(8) % c.modulus))
        break
      }
    }
  }
  return labels.size > 0
}

/** LabelShardedMetaFilter: the blocks whose `__block_id` and external labels the configs keep. */
export function labelShardedFilter(configs: readonly SelectorRelabel[]): MetaFilter {
  return {
    name: 'label-sharded',
    filter(metas, count) {
      if (configs.length === 0) return
      for (const [id, m] of metas) {
        const labels = new Map<string, string>([[BLOCK_ID_LABEL, id]])
        for (const [k, v] of Object.entries(m.thanos.labels)) if (v !== '') labels.set(k, v)
        if (relabelKeeps(configs, labels)) continue
        count('label-excluded')
        metas.delete(id)
      }
    },
  }
}
