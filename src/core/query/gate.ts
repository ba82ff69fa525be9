/**
 * --query.max-concurrent: at most N query evaluations at once, the rest wait in a FIFO queue
 * (as Prometheus's ActiveQueryTracker / Thanos's gate), with metrics.
 */
import {Gauge, type Registry} from 'prom-client'

export class ConcurrencyGate {
  private active = 0
  private readonly queue: (() => void)[] = []
  private readonly inflight: Gauge
  private readonly waiting: Gauge

  constructor(
    private readonly max: number,
    registry: Registry,
  ) {
    new Gauge({name: 'prometheus_engine_queries_concurrent_max', help: 'The max number of concurrent queries.', registers: [registry]}).set(max)
    this.inflight = new Gauge({name: 'prometheus_engine_queries', help: 'The current number of queries being executed or waiting.', registers: [registry]})
    this.waiting = new Gauge({name: 'thanos_query_gate_queries_waiting', help: 'Queries waiting for a free evaluation slot.', registers: [registry]})
  }

  async run<T>(f: () => Promise<T>): Promise<T> {
    this.inflight.inc()
    if (this.active >= this.max) {
      this.waiting.inc()
      await new Promise<void>((resolve) => this.queue.push(resolve))
      this.waiting.dec()
    }
    this.active++
    try {
      return await f()
    } finally {
      this.active--
      this.inflight.dec()
      this.queue.shift()?.()
    }
  }
}
