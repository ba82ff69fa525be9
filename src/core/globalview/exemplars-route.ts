/**
 * Which endpoints an exemplars query goes to, and what they are asked, as Thanos's exemplars
 * proxy decides (pkg/exemplars/proxy.go): the query's selectors are taken apart; an endpoint
 * is asked for the selectors its external labels do not rule out (pkg/store LabelSetsMatch),
 * joined with `+` into one query (the selectors are what select exemplars, so the answer is
 * the same); matchers on its external labels are left out for endpoints that cannot take
 * them (Prometheus's exemplar API knows nothing of external labels), and kept for queriers,
 * which route on them again.
 */
import {BadDataError} from '../errors.js'
import type {Labels} from '../labels/labels.js'
import {MatchType, type Matcher} from '../labels/matcher.js'
import {labelSetsMatch} from '../proxy/proxy.js'
import {inspect, parseExpr, type Expr} from '../promql/parser/index.js'

/** The matchers of every vector selector of the query (Prometheus's parser.ExtractSelectors). */
export function querySelectors(query: string): Matcher[][] {
  let expr: Expr
  try {
    expr = parseExpr(query)
  } catch (e) {
    if (e instanceof BadDataError) throw new BadDataError(`invalid parameter "query": ${e.message}`, {cause: e})
    throw e
  }
  const out: Matcher[][] = []
  inspect(expr, (n) => {
    if (n.kind === 'VectorSelector') out.push(n.labelMatchers)
  })
  return out
}

const LEGACY_LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const OPS: Record<MatchType, string> = {[MatchType.EQ]: '=', [MatchType.NEQ]: '!=', [MatchType.RE]: '=~', [MatchType.NRE]: '!~'}

/** Go's strconv.Quote, near enough for PromQL strings (JSON differs on a few non-printables). */
function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\u007f/g, '\\x7f')
}

/** A matcher as Prometheus's Matcher.String() writes it: `job="api"`, a UTF-8 name quoted. */
export function matcherText(m: Matcher): string {
  return `${LEGACY_LABEL.test(m.name) ? m.name : goQuote(m.name)}${OPS[m.type]}${goQuote(m.value)}`
}

function hasLabel(name: string, sets: readonly Labels[]): boolean {
  return sets.some((ls) => ls.some((l) => l.name === name && l.value !== ''))
}

/**
 * The query for one endpoint, or undefined when none of the selectors can match its external
 * labels. `keepExternal`: the endpoint is a querier, which takes external-label matchers.
 * A selector left with no matcher becomes `{}`, which the endpoint rejects, as in Thanos.
 */
export function exemplarsQueryFor(selectors: readonly Matcher[][], labelSets: readonly Labels[], keepExternal: boolean): string | undefined {
  const parts: string[] = []
  for (const ms of selectors) {
    if (!labelSetsMatch(ms, labelSets)) continue
    const kept = keepExternal ? ms : ms.filter((m) => !hasLabel(m.name, labelSets))
    parts.push(`{${kept.map(matcherText).join(', ')}}`)
  }
  return parts.length === 0 ? undefined : parts.join('+')
}
