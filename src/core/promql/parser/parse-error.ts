import {BadDataError} from '../../errors.js'
import type {PositionRange} from './ast.js'

/**
 * A PromQL parse error with its position, printed as Prometheus prints ParseErr:
 * `<line>:<col>: parse error: <msg>` (1-based line and column of the start position).
 */
export class ParseError extends BadDataError {
  constructor(
    readonly positionRange: PositionRange,
    readonly detail: string,
    readonly query: string,
  ) {
    super(`${positionPrefix(query, positionRange.start)} parse error: ${detail}`)
  }
}

function positionPrefix(query: string, pos: number): string {
  if (pos < 0 || pos > query.length) return 'invalid position:'
  let line = 1
  let lastBreak = -1
  for (let i = 0; i < pos; i++) {
    if (query.charCodeAt(i) === 10) {
      line++
      lastBreak = i
    }
  }
  return `${line}:${pos - lastBreak}:`
}
