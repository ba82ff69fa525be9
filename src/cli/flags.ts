/** Flags shared by every command, and helpers to turn flag values into core config. */
import {Errors, Flags} from '@oclif/core'
import {createLogger, type LogFormat, type Logger, type LogLevel} from '../core/log.js'
import {parseDurationFlag} from '../core/server/duration.js'

export const logFlags = {
  'log.level': Flags.string({
    description: 'Log filtering level.',
    options: ['debug', 'info', 'warn', 'error'],
    default: 'info',
  }),
  'log.format': Flags.string({
    description: 'Log format to use.',
    options: ['logfmt', 'json'],
    default: 'logfmt',
  }),
}

export function loggerFromFlags(flags: {'log.level': string; 'log.format': string}): Logger {
  return createLogger({level: flags['log.level'] as LogLevel, format: flags['log.format'] as LogFormat})
}

/** A duration flag (Prometheus syntax), validated at parse time so usage errors exit 2. */
export const durationFlag = Flags.custom<number>({
  parse: async (input) => {
    try {
      return parseDurationFlag(input)
    } catch (e) {
      throw new Errors.CLIError((e as Error).message, {exit: 2})
    }
  },
})

