/** Exit codes and output of the one-shot tool commands (`tools bucket ...`). */
import {Errors} from '@oclif/core'
import {errorKind} from '../core/errors.js'

/** 2 for usage errors (oclif's convention, as flag parsing), else 1 as Thanos exits on any error. */
export function exitCodeOf(e: unknown): number {
  if (e instanceof Errors.CLIError && typeof e.oclif?.exit === 'number') return e.oclif.exit
  return errorKind(e) === 'bad_data' && /^(unsupported output|error parsing selector flag|both --)/.test((e as Error).message) ? 2 : 1
}

export function writeStdout(text: string): void {
  process.stdout.write(text)
}
