/**
 * parser/: PromQL lexer, parser, AST, printer and ParseError. Knows nothing of evaluation;
 * the engine takes the AST (ast.ts) it produces.
 */
export * from './ast.js'
export {parseExpr, parseNumber, type ParseOptions} from './parser.js'
export {ParseError} from './parse-error.js'
export {formatExpr} from './printer.js'
export {FUNCTIONS, getFunction} from './functions.js'
export {parseDuration, formatDuration} from './duration.js'
