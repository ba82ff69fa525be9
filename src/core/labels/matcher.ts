import {type Labels, getLabel} from './labels.js'
import {compileRe2} from './re2.js'

export enum MatchType {
  EQ = 0,
  NEQ = 1,
  RE = 2,
  NRE = 3,
}

export const MATCH_TYPE_TEXT: Record<MatchType, string> = {
  [MatchType.EQ]: '=',
  [MatchType.NEQ]: '!=',
  [MatchType.RE]: '=~',
  [MatchType.NRE]: '!~',
}

/**
 * A label matcher as in Prometheus: regexes are fully anchored, and a label that is
 * absent behaves as the empty string (so `{foo=""}` selects series without foo).
 * The enum values equal the Thanos StoreAPI `LabelMatcher.Type` numbers.
 */
export class Matcher {
  private readonly re: RegExp | undefined

  /** @throws InvalidRegexError for a regex RE2 would reject or we cannot translate. */
  constructor(
    readonly type: MatchType,
    readonly name: string,
    readonly value: string,
  ) {
    this.re = type === MatchType.RE || type === MatchType.NRE ? compileRe2(value) : undefined
  }

  matches(v: string): boolean {
    switch (this.type) {
      case MatchType.EQ:
        return v === this.value
      case MatchType.NEQ:
        return v !== this.value
      case MatchType.RE:
        return this.re!.test(v)
      case MatchType.NRE:
        return !this.re!.test(v)
    }
  }

  matchesLabels(ls: Labels): boolean {
    return this.matches(getLabel(ls, this.name))
  }

  toString(): string {
    return `${this.name}${MATCH_TYPE_TEXT[this.type]}${JSON.stringify(this.value)}`
  }
}

export function matchesAll(matchers: readonly Matcher[], ls: Labels): boolean {
  for (const m of matchers) if (!m.matchesLabels(ls)) return false
  return true
}
