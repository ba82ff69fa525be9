/**
 * Child processes for tests: every process started here is registered and killed by pid when
 * its test file ends (the handle's stop()), or at the latest when mocha ends (root hook) or
 * the test process exits, so a failing test never leaves a Prometheus behind.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {fetch, type RequestInit} from 'undici'

const live = new Set<ManagedProcess>()

export interface ManagedProcess {
  readonly name: string
  readonly proc: ChildProcess
  readonly pid: number
  /** Last lines of stdout+stderr, for failure messages. */
  output(): string
  exited(): boolean
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>
  /** Resolves with the exit code (or signal name) when the process ends. */
  waitExit(): Promise<number | string>
}

export function startProcess(name: string, cmd: string, args: string[], opts: {env?: NodeJS.ProcessEnv; cwd?: string} = {}): ManagedProcess {
  const proc = spawn(cmd, args, {env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe']})
  if (proc.pid === undefined) throw new Error(`${name}: could not start ${cmd}`)
  const lines: string[] = []
  const keep = (b: Buffer): void => {
    for (const l of b.toString().split('\n')) if (l) lines.push(l)
    if (lines.length > 200) lines.splice(0, lines.length - 200)
  }
  proc.stdout!.on('data', keep)
  proc.stderr!.on('data', keep)
  const exit = new Promise<number | string>((resolve) => proc.once('exit', (code, sig) => resolve(code ?? sig ?? -1)))
  const mp: ManagedProcess = {
    name,
    proc,
    pid: proc.pid,
    output: () => lines.join('\n'),
    exited: () => proc.exitCode !== null || proc.signalCode !== null,
    waitExit: () => exit,
    async stop(graceMs = 5000) {
      live.delete(mp)
      if (mp.exited()) return
      try {
        process.kill(mp.pid, 'SIGTERM')
      } catch {
        return
      }
      const timer = new Promise((r) => setTimeout(r, graceMs, 'timeout'))
      if ((await Promise.race([exit, timer])) === 'timeout') {
        try {
          process.kill(mp.pid, 'SIGKILL')
        } catch {
          // already gone
        }
        await exit
      }
    },
  }
  live.add(mp)
  return mp
}

/** Kills every process still registered (root hook / exit safety net). */
export function killAll(): void {
  for (const mp of live) {
    try {
      process.kill(mp.pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  live.clear()
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Polls `url` until it answers 2xx, the process dies, or the timeout passes. */
export async function waitForHttpOk(url: string, mp: ManagedProcess | undefined, timeoutMs = 30_000, init: RequestInit = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const r = await fetch(url, {...init, signal: AbortSignal.timeout(2000)})
      await r.arrayBuffer()
      if (r.ok) return
    } catch {
      // not up yet
    }
    if (mp?.exited()) throw new Error(`${mp.name} exited before ${url} was ready:\n${mp.output()}`)
    if (Date.now() > deadline) throw new Error(`${url} not ready after ${timeoutMs} ms${mp ? `:\n${mp.output()}` : ''}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

process.once('exit', killAll)
