/**
 * One owner for a component's servers, loops and timers (as Thanos's run group): closers run
 * in reverse order of registration when the process gets SIGINT/SIGTERM or a fatal error, so
 * that servers stop accepting first and in-flight work finishes within the grace period.
 */
import type {Logger} from '../log.js'

export type Closer = () => Promise<void> | void

export class Lifecycle {
  private readonly closers: {name: string; close: Closer}[] = []
  private stopping: Promise<void> | undefined
  private readonly done: Promise<void>
  private resolveDone!: () => void
  private readonly abort = new AbortController()

  constructor(private readonly logger: Logger) {
    this.done = new Promise((r) => (this.resolveDone = r))
  }

  /** Aborted when stopping begins: loops use it to end. */
  get signal(): AbortSignal {
    return this.abort.signal
  }

  add(name: string, close: Closer): void {
    this.closers.push({name, close})
  }

  /** Installs SIGINT/SIGTERM handlers that stop everything. */
  handleSignals(): void {
    const onSignal = (sig: NodeJS.Signals): void => {
      this.logger.info('caught signal, exiting', {signal: sig})
      void this.stop()
    }
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.abort.abort()
      for (const c of [...this.closers].reverse()) {
        try {
          await c.close()
        } catch (e) {
          this.logger.warn('error while stopping', {component: c.name, err: e})
        }
      }
      this.resolveDone()
    })()
    return this.stopping
  }

  /** Resolves when stop() has finished. */
  wait(): Promise<void> {
    return this.done
  }
}

/** Sleeps `ms` unless the signal aborts first (resolves false then). */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false)
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve(true)
    }, ms)
    const onAbort = (): void => {
      clearTimeout(t)
      resolve(false)
    }
    signal?.addEventListener('abort', onAbort, {once: true})
  })
}
