/**
 * --store.grpc.series-max-concurrency: at most N Series calls at once, the rest wait in FIFO
 * order for the whole of a running call (thanos pkg/gate, wrapped by store.go as
 * `thanos_bucket_store_series_gate_queries_*`). 0 or less means no limit, as upstream's noop gate.
 * A call whose client goes away while it waits leaves the queue.
 */
import {Counter, Gauge, Histogram, type Registry} from 'prom-client'
import {CanceledError} from '../errors.js'

export class SeriesGate {
  private active = 0
  private readonly queue: {resolve: () => void}[] = []
  private readonly inFlight: Gauge
  private readonly total: Counter
  private readonly waitSeconds: Histogram

  constructor(
    private readonly max: number,
    registry: Registry,
  ) {
    const registers = [registry]
    const p = 'thanos_bucket_store_series_gate_queries'
    new Gauge({name: `${p}_max`, help: 'Maximum number of concurrent queries.', registers}).set(max)
    this.inFlight = new Gauge({name: `${p}_in_flight`, help: 'Number of queries that are currently in flight.', registers})
    this.total = new Counter({name: `${p}_total`, help: 'Total number of queries.', registers})
    this.waitSeconds = new Histogram({name: `${p}_duration_seconds`, help: 'How many seconds it took for queries to wait at the gate.', buckets: [0.01, 0.1, 0.3, 0.6, 1, 3, 6, 9, 20, 30, 60, 90, 120, 240, 360, 720], registers})
  }

  /** Waits for a slot; the returned function gives it back (call it exactly once). */
  async enter(signal: AbortSignal): Promise<() => void> {
    const started = performance.now()
    this.total.inc()
    if (this.max > 0 && this.active >= this.max) {
      await new Promise<void>((resolve, reject) => {
        const entry = {resolve: () => {
          signal.removeEventListener('abort', onAbort)
          resolve()
        }}
        const onAbort = (): void => {
          const i = this.queue.indexOf(entry)
          if (i >= 0) this.queue.splice(i, 1)
          reject(new CanceledError('failed to wait for turn: the client went away'))
        }
        if (signal.aborted) return onAbort()
        signal.addEventListener('abort', onAbort, {once: true})
        this.queue.push(entry)
      })
    }
    this.waitSeconds.observe((performance.now() - started) / 1000)
    this.active++
    this.inFlight.inc()
    let left = false
    return () => {
      if (left) return
      left = true
      this.active--
      this.inFlight.dec()
      this.queue.shift()?.resolve()
    }
  }
}
