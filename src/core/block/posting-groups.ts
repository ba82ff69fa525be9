/**
 * From label matchers to the postings lists to fetch and how to combine them, as the store
 * gateway does (thanos-io/thanos pkg/store/bucket.go `matchersToPostingGroups`,
 * `toPostingGroup`, `postingGroup.mergeKeys`; derived from Prometheus's PostingsForMatchers).
 *
 * One group per label name. A group either adds the union of some values' postings, or, when
 * its matchers match the empty string (so series without the label match too), starts from
 * all series ("addAll") and removes the values that do not match. The result of a query is
 * the intersection of the groups' unions minus the union of all removals; with only addAll
 * groups the intersection starts from the all-postings list ("", "").
 */
import {MatchType, type Matcher} from '../labels/matcher.js'
import {regexSetMatches} from './regex-set.js'

export interface PostingGroup {
  name: string
  addAll: boolean
  addKeys: string[]
  removeKeys: string[]
}

/** Values of a label name in the block (from the index-header). */
export type LabelValuesFn = (name: string) => string[]

/**
 * The groups for `matchers`, sorted by name; undefined when some group can match nothing,
 * so the whole selection is empty (e.g. `job="does-not-exist"`, `x!~".*"`).
 */
export function matchersToPostingGroups(matchers: readonly Matcher[], labelValues: LabelValuesFn): PostingGroup[] | undefined {
  const byName = new Map<string, Map<string, Matcher>>()
  for (const m of matchers) {
    let g = byName.get(m.name)
    if (!g) byName.set(m.name, (g = new Map()))
    g.set(m.toString(), m)
  }
  const groups: PostingGroup[] = []
  for (const [name, ms] of byName) {
    let values: string[] | undefined
    const valuesOnce = (): string[] => (values ??= labelValues(name))
    let merged: PostingGroup | undefined
    for (const m of ms.values()) {
      const pg = toPostingGroup(m, valuesOnce)
      if (!pg.addAll && pg.addKeys.length === 0) return undefined
      merged = merged ? mergeKeys(merged, pg) : pg
      if (!merged.addAll && merged.addKeys.length === 0) return undefined
    }
    groups.push(merged!)
  }
  return groups.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

function group(name: string, addAll: boolean, addKeys: string[], removeKeys: string[]): PostingGroup {
  return {name, addAll, addKeys, removeKeys}
}

export function toPostingGroup(m: Matcher, values: () => string[]): PostingGroup {
  const {name} = m
  if (m.type === MatchType.RE && m.value === '.*') return group(name, true, [], [])
  if (m.type === MatchType.NRE && m.value === '.*') return group(name, false, [], [])
  if (m.matches('')) {
    // Matches series without the label too: all series minus the values it rejects.
    if (m.type === MatchType.NRE) {
      const set = regexSetMatches(m.value)
      if (set) return group(name, true, [], set)
    }
    if (m.type === MatchType.NEQ) return group(name, true, [], [m.value])
    const vals = values()
    if (m.value === '' && (m.type === MatchType.EQ || m.type === MatchType.RE)) return group(name, true, [], vals)
    if (m.type === MatchType.NRE && m.value === '.+') return group(name, true, [], vals)
    return group(
      name,
      true,
      [],
      vals.filter((v) => !m.matches(v)),
    )
  }
  if (m.type === MatchType.RE) {
    const set = regexSetMatches(m.value)
    if (set) return group(name, false, set, [])
  }
  if (m.type === MatchType.EQ) return group(name, false, [m.value], [])
  const vals = values()
  if (m.value === '' && (m.type === MatchType.NEQ || m.type === MatchType.NRE)) return group(name, false, vals, [])
  if (m.type === MatchType.RE && m.value === '.+') return group(name, false, vals, [])
  return group(
    name,
    false,
    vals.filter((v) => m.matches(v)),
    [],
  )
}

/**
 * Two groups of the same name combined (both must hold): as Thanos's mergeKeys, with sets
 * instead of its sorted merges (same result, no dependence on string order).
 */
export function mergeKeys(a: PostingGroup, b: PostingGroup): PostingGroup {
  if (a.addAll && b.addAll) return group(a.name, true, [], [...new Set([...a.removeKeys, ...b.removeKeys])])
  if (a.addAll || b.addAll) {
    const [all, add] = a.addAll ? [a, b] : [b, a]
    const remove = new Set(all.removeKeys)
    return group(
      a.name,
      false,
      add.addKeys.filter((k) => !remove.has(k)),
      [],
    )
  }
  const other = new Set(b.addKeys)
  return group(
    a.name,
    false,
    a.addKeys.filter((k) => other.has(k)),
    [],
  )
}
