/**
 * The `thanosts` command as a user runs it: `node bin/run.js ...` from the build.
 *   const r = await runCli(['query-once', 'up', '--query.url', url])   // r.code, r.stdout, r.stderr
 */
import {execFile} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'

/** bin/run.js of this checkout (this file is dist/test/helpers/cli.js). */
export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/run.js')

const execFileP = promisify(execFile)

/** Runs `thanosts <args>` to its end, without colours; a non-zero exit is returned, not thrown. */
export async function runCli(args: string[]): Promise<{code: number; stdout: string; stderr: string}> {
  try {
    const r = await execFileP('node', [BIN, ...args], {env: {...process.env, NO_COLOR: '1'}})
    return {code: 0, stdout: r.stdout, stderr: r.stderr}
  } catch (e) {
    const err = e as {code: number; stdout: string; stderr: string}
    return {code: err.code, stdout: err.stdout, stderr: err.stderr}
  }
}
