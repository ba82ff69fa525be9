/**
 * Prometheus's own regex verdicts, for differential tests: test/peers/prometheus/re2oracle (a
 * small main over Prometheus 3.14's labels.NewFastRegexMatcher and label_replace's compile, in
 * the Prometheus peer's pinned module) built with the Go toolchain the peers are built with,
 * run as one long-lived process, asked one JSON line at a time. Stopped by pid.
 */
import {execFileSync, spawn, type ChildProcessWithoutNullStreams} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, readFileSync, renameSync} from 'node:fs'
import path from 'node:path'
import {createInterface} from 'node:readline'

export interface OracleAnswer {
  /** Go's error for the matcher, if NewFastRegexMatcher rejects the pattern */
  err?: string
  /** the matcher's verdict per input */
  m: boolean[]
  /** label_replace's compile of `^(?s:<p>)$`: its error, group names, groups of the match per input */
  lr: {err?: string; names?: string[]; caps?: (string | null)[][]}
}

export interface Re2Oracle {
  ask(pattern: string, inputs: readonly string[]): Promise<OracleAnswer>
  stop(): Promise<void>
}

/** Builds (once per content of the oracle's source and module) and starts the oracle. */
export function startRe2Oracle(): Re2Oracle {
  const mod = path.resolve('test/peers/prometheus')
  const hash = createHash('sha256')
  for (const f of ['go.mod', 'go.sum', 're2oracle/main.go']) hash.update(readFileSync(path.join(mod, f)))
  const dir = path.resolve('.cache/re2-oracle', hash.digest('hex').slice(0, 16))
  const bin = path.join(dir, 're2oracle')
  if (!existsSync(bin)) {
    mkdirSync(dir, {recursive: true})
    const tmp = `${bin}.${process.pid}.tmp`
    try {
      execFileSync('go', ['build', '-trimpath', '-o', tmp, './re2oracle'], {
        cwd: mod,
        env: {...process.env, CGO_ENABLED: '0', GOFLAGS: `${process.env.GOFLAGS ?? ''} -mod=readonly`},
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    } catch (e) {
      const err = e as {stderr?: Buffer; message: string}
      throw new Error(`building the re2 oracle failed (the Go toolchain the peers need is required): ${err.stderr?.toString() || err.message}`)
    }
    renameSync(tmp, bin)
  }
  const proc: ChildProcessWithoutNullStreams = spawn(bin, [], {stdio: ['pipe', 'pipe', 'pipe']})
  let stderr = ''
  proc.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)))
  const waiting: {resolve: (a: OracleAnswer) => void; reject: (e: Error) => void}[] = []
  createInterface({input: proc.stdout}).on('line', (line) => waiting.shift()?.resolve(JSON.parse(line) as OracleAnswer))
  const exited = new Promise<void>((resolve) =>
    proc.once('exit', () => {
      for (const w of waiting.splice(0)) w.reject(new Error(`re2 oracle exited: ${stderr}`))
      resolve()
    }),
  )
  const kill = (): void => {
    if (proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined) process.kill(proc.pid, 'SIGKILL')
  }
  process.once('exit', kill)
  return {
    ask(pattern, inputs) {
      return new Promise((resolve, reject) => {
        waiting.push({resolve, reject})
        proc.stdin.write(`${JSON.stringify({p: pattern, in: inputs})}\n`)
      })
    },
    async stop() {
      kill()
      await exited
    },
  }
}
