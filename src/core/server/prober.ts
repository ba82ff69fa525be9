/**
 * server/: process plumbing shared by every component: probes, the HTTP server with /metrics
 * and /-/healthy, /-/ready, the gRPC server, and one Lifecycle that stops them together.
 *
 * prober.ts: explicit health/readiness states (Thanos pkg/prober): /-/ready answers from the
 * state, never by doing work.
 */
export class Prober {
  private healthy = false
  private ready = false
  private reason = 'starting'

  setHealthy(): void {
    this.healthy = true
  }

  setReady(): void {
    this.ready = true
    this.reason = ''
  }

  setNotReady(reason: string): void {
    this.ready = false
    this.reason = reason
  }

  isHealthy(): boolean {
    return this.healthy
  }

  isReady(): boolean {
    return this.ready
  }

  notReadyReason(): string {
    return this.reason
  }
}
