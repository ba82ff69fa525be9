/**
 * One logger for the whole process, in the go-kit style Thanos uses: logfmt or JSON lines
 * on stderr with `ts`, `level`, `caller`-like `component`, `msg` and key/value pairs.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
export type LogFormat = 'logfmt' | 'json'

const LEVEL_RANK: Record<LogLevel, number> = {debug: 0, info: 1, warn: 2, error: 3}

export type LogFields = Record<string, unknown>

export interface Logger {
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
  /** A logger that adds these fields to every line (e.g. {component: 'sidecar'}). */
  with(fields: LogFields): Logger
}

export interface LoggerOptions {
  level?: LogLevel
  format?: LogFormat
  write?: (line: string) => void
}

function fmtValue(v: unknown): string {
  if (v instanceof Error) v = v.message
  if (v === undefined) return '""'
  const s = typeof v === 'string' ? v : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)
  return s === '' || /[\s"=]/.test(s) ? JSON.stringify(s) : s
}

class LineLogger implements Logger {
  constructor(
    private readonly opts: Required<LoggerOptions>,
    private readonly base: LogFields,
  ) {}

  private log(level: LogLevel, msg: string, fields?: LogFields): void {
    if (LEVEL_RANK[level] < LEVEL_RANK[this.opts.level]) return
    const all: LogFields = {ts: new Date().toISOString(), level, ...this.base, msg, ...fields}
    if (this.opts.format === 'json') {
      const obj: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(all)) obj[k] = v instanceof Error ? v.message : v
      this.opts.write(JSON.stringify(obj))
    } else {
      this.opts.write(Object.entries(all).map(([k, v]) => `${k}=${fmtValue(v)}`).join(' '))
    }
  }

  debug(msg: string, fields?: LogFields): void { this.log('debug', msg, fields) }
  info(msg: string, fields?: LogFields): void { this.log('info', msg, fields) }
  warn(msg: string, fields?: LogFields): void { this.log('warn', msg, fields) }
  error(msg: string, fields?: LogFields): void { this.log('error', msg, fields) }

  with(fields: LogFields): Logger {
    return new LineLogger(this.opts, {...this.base, ...fields})
  }
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  return new LineLogger(
    {
      level: opts.level ?? 'info',
      format: opts.format ?? 'logfmt',
      write: opts.write ?? ((line) => process.stderr.write(line + '\n')),
    },
    {},
  )
}

/** For library use and tests: drops everything. */
export const nopLogger: Logger = createLogger({level: 'error', write: () => {}})
