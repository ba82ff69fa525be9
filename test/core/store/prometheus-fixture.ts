/**
 * Minimal real-Prometheus fixture for this folder's tests (the shared harness is
 * test/helpers/, owned by H2; this one exists because the store tests were written before it):
 * backfill OpenMetrics text with `promtool tsdb create-blocks-from openmetrics`, start
 * `prometheus` on a free loopback port with the given external labels, wait until ready, and
 * kill it by pid afterwards.
 */
import {spawn, execFileSync, type ChildProcess} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export interface PromFixture {
  url: string
  dir: string
  proc: ChildProcess
  stop(): Promise<void>
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))))
    })
  })
}

/** `samples`: metric name → labels → [t ms, value][] (one OpenMetrics family per metric, counter/gauge). */
export async function startPrometheus(opts: {externalLabels: Record<string, string>; openMetrics: string}): Promise<PromFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'thanosts-prom-'))
  const data = join(dir, 'data')
  writeFileSync(join(dir, 'in.om'), opts.openMetrics)
  execFileSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'in.om'), data], {stdio: 'ignore'})
  const ext = Object.entries(opts.externalLabels).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`).join('\n')
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  external_labels:\n${ext}\n`)
  const port = await freePort()
  const proc = spawn(
    'prometheus',
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${data}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=10y', '--log.level=warn'],
    {stdio: 'ignore'},
  )
  const url = `http://127.0.0.1:${port}`
  const stop = async () => {
    if (proc.exitCode === null && proc.pid !== undefined) {
      const exited = new Promise((r) => proc.once('exit', r))
      process.kill(proc.pid, 'SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))])
      if (proc.exitCode === null) process.kill(proc.pid, 'SIGKILL')
    }
    rmSync(dir, {recursive: true, force: true})
  }
  const deadline = Date.now() + 30_000
  for (;;) {
    try {
      const r = await fetch(`${url}/-/ready`)
      if (r.ok) break
    } catch {
      // not up yet
    }
    if (proc.exitCode !== null || Date.now() > deadline) {
      await stop()
      throw new Error(`prometheus did not become ready (exit ${proc.exitCode})`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return {url, dir, proc, stop}
}

/** OpenMetrics text for one metric family; series as label records with [t ms, v] samples. */
export function openMetricsText(name: string, type: 'counter' | 'gauge', series: Array<{labels: Record<string, string>; samples: Array<[number, number]>}>): string {
  const lines = [`# TYPE ${name} ${type}`]
  const sample = type === 'counter' ? `${name}_total` : name
  for (const s of series) {
    const ls = Object.entries(s.labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')
    for (const [t, v] of s.samples) lines.push(`${sample}{${ls}} ${v} ${(t / 1000).toFixed(3)}`)
  }
  lines.push('# EOF', '')
  return lines.join('\n')
}
