/**
 * reloader/: watches Prometheus's config file and rule directories and asks Prometheus to
 * reload (POST /-/reload) when their content changes (Thanos pkg/reloader semantics):
 * - content hashes (SHA-256), not mtimes, decide whether anything changed;
 * - with an envsubst output file, the config is copied there with Kubernetes-style `$(VAR)`
 *   substitution (gunzipped first if gzip), written to a temp file and renamed into place;
 * - fs.watch events trigger an early check; a periodic re-check catches what events miss;
 * - a failed reload (Prometheus answers non-200, e.g. for a broken config, and keeps the old
 *   one) is logged with Prometheus's reason, counted, and retried on the next tick.
 */
import {createHash} from 'node:crypto'
import {watch, type FSWatcher} from 'node:fs'
import {readdir, readFile, rename, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {gunzipSync} from 'node:zlib'
import {Counter, Gauge, type Registry} from 'prom-client'
import type {Logger} from '../log.js'
import {sleep} from '../server/lifecycle.js'

export interface ReloaderOptions {
  configFile?: string
  configEnvsubstFile?: string
  ruleDirs: string[]
  watchIntervalMs: number
  retryIntervalMs: number
  /** Performs the reload (POST /-/reload). */
  reload: (signal: AbortSignal) => Promise<void>
  logger: Logger
  registry?: Registry
  env?: NodeJS.ProcessEnv
}

export class EnvSubstError extends Error {}

/** `$(VAR)` only; `$VAR` and `${VAR}` are left alone, as Thanos. An unset variable is an error. */
export function envsubst(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(/\$\(([a-zA-Z_0-9]+)\)/g, (_m, name: string) => {
    const v = env[name]
    if (v === undefined) throw new EnvSubstError(`found reference to unset environment variable ${JSON.stringify(name)}`)
    return v
  })
}

export class Reloader {
  private lastHash = ''
  private forceReload = false
  private watchers: FSWatcher[] = []
  private wake: (() => void) | undefined
  private readonly m

  constructor(private readonly opts: ReloaderOptions) {
    const registers = opts.registry ? [opts.registry] : []
    this.m = {
      reloads: new Counter({name: 'thanos_sidecar_reloader_reloads_total', help: 'Total number of reload requests.', registers}),
      failed: new Counter({name: 'thanos_sidecar_reloader_reloads_failed_total', help: 'Total number of reload requests that failed.', registers}),
      lastOk: new Gauge({name: 'thanos_sidecar_reloader_last_reload_successful', help: 'Whether the last reload attempt was successful', registers}),
      lastOkTs: new Gauge({name: 'thanos_sidecar_reloader_last_reload_success_timestamp_seconds', help: 'Timestamp of the last successful reload', registers}),
      applies: new Counter({name: 'thanos_sidecar_reloader_config_apply_operations_total', help: 'Total number of config apply operations.', registers}),
      appliesFailed: new Counter({name: 'thanos_sidecar_reloader_config_apply_operations_failed_total', help: 'Total number of config apply operations that failed.', registers}),
      envErrors: new Counter({name: 'thanos_sidecar_reloader_config_environment_variable_expansion_errors', help: 'Number of errors in expanding environment variables.', registers}),
      watches: new Gauge({name: 'thanos_sidecar_reloader_watches', help: 'Number of resources watched by the reloader.', registers}),
      watchEvents: new Counter({name: 'thanos_sidecar_reloader_watch_events_total', help: 'Total number of events received by the reloader from the watcher.', registers}),
      watchErrors: new Counter({name: 'thanos_sidecar_reloader_watch_errors_total', help: 'Total number of errors received by the reloader from the watcher.', registers}),
    }
  }

  private async hashInputs(): Promise<string> {
    const h = createHash('sha256')
    if (this.opts.configFile) {
      h.update('config\0')
      h.update(await readFile(this.opts.configFile))
    }
    for (const dir of this.opts.ruleDirs) {
      const names = (await readdir(dir)).sort()
      for (const n of names) {
        const p = path.join(dir, n)
        const st = await stat(p).catch(() => undefined) // follows symlinks, as upstream
        if (!st?.isFile()) continue
        h.update(p + '\0')
        h.update(await readFile(p))
      }
    }
    return h.digest('hex')
  }

  private async writeEnvsubst(): Promise<void> {
    if (!this.opts.configFile || !this.opts.configEnvsubstFile) return
    let raw = await readFile(this.opts.configFile)
    if (raw[0] === 0x1f && raw[1] === 0x8b && raw[2] === 0x08) raw = gunzipSync(raw)
    let out: string
    try {
      out = envsubst(raw.toString('utf8'), this.opts.env ?? process.env)
    } catch (e) {
      this.m.envErrors.inc()
      throw e
    }
    const tmp = this.opts.configEnvsubstFile + '.tmp'
    await writeFile(tmp, out)
    await rename(tmp, this.opts.configEnvsubstFile)
  }

  /** One check: apply and reload if something changed (or a previous reload failed). */
  async apply(signal: AbortSignal): Promise<'unchanged' | 'reloaded' | 'failed'> {
    let hash: string
    try {
      this.m.applies.inc()
      hash = await this.hashInputs()
      if (hash === this.lastHash && !this.forceReload) return 'unchanged'
      await this.writeEnvsubst()
    } catch (e) {
      this.m.appliesFailed.inc()
      this.opts.logger.error('reloader: cannot apply config', {err: e})
      return 'failed'
    }
    this.m.reloads.inc()
    try {
      await this.opts.reload(signal)
    } catch (e) {
      this.m.failed.inc()
      this.m.lastOk.set(0)
      this.forceReload = true
      this.opts.logger.error('reloader: Prometheus reload failed; it keeps its previous configuration', {err: e})
      return 'failed'
    }
    const first = this.lastHash === ''
    this.lastHash = hash
    this.forceReload = false
    this.m.lastOk.set(1)
    this.m.lastOkTs.set(Date.now() / 1000)
    this.opts.logger.info(first ? 'reloader: initial configuration applied' : 'reloader: Prometheus reloaded', {cfg: this.opts.configFile, ruleDirs: this.opts.ruleDirs.join(',')})
    return 'reloaded'
  }

  /** Runs until the signal aborts. Nothing configured: logs and returns. */
  async run(signal: AbortSignal): Promise<void> {
    if (!this.opts.configFile && this.opts.ruleDirs.length === 0) {
      this.opts.logger.info('reloader: nothing to be watched')
      return
    }
    this.startWatching()
    try {
      for (;;) {
        const r = await this.apply(signal)
        if (this.opts.watchIntervalMs === 0 && r !== 'failed') return
        const wait = r === 'failed' ? this.opts.retryIntervalMs : this.opts.watchIntervalMs || this.opts.retryIntervalMs
        const woke = new Promise<boolean>((resolve) => (this.wake = () => resolve(true)))
        if (!(await Promise.race([sleep(wait, signal), woke]))) return
        if (signal.aborted) return
      }
    } finally {
      for (const w of this.watchers) w.close()
      this.watchers = []
    }
  }

  private startWatching(): void {
    const targets = [...(this.opts.configFile ? [path.dirname(this.opts.configFile)] : []), ...this.opts.ruleDirs]
    let timer: NodeJS.Timeout | undefined
    for (const t of new Set(targets)) {
      try {
        const w = watch(t, () => {
          this.m.watchEvents.inc()
          // debounce bursts of events (editors write, rename, chmod)
          clearTimeout(timer)
          timer = setTimeout(() => this.wake?.(), 200)
        })
        w.on('error', () => this.m.watchErrors.inc())
        this.watchers.push(w)
      } catch {
        this.m.watchErrors.inc()
      }
    }
    this.m.watches.set(this.watchers.length)
  }
}
