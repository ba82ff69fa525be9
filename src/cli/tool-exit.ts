/** Exit codes and output of the one-shot tool commands (`tools bucket ...`). */
import {Errors} from '@oclif/core'

/** Runs `parse` on a flag value; a failure is a usage error (exit 2), as oclif's own flag errors. */
export function usage<T>(parse: () => T): T {
  try {
    return parse()
  } catch (e) {
    throw new Errors.CLIError((e as Error).message, {exit: 2})
  }
}

/** The exit code of a usage error, else 1 (Thanos exits 1 on any error). */
export function exitCodeOf(e: unknown): number {
  if (e instanceof Errors.CLIError && typeof e.oclif?.exit === 'number') return e.oclif.exit
  return 1
}

export function writeStdout(text: string): void {
  process.stdout.write(text)
}
