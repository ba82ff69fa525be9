/**
 * discovery/: which StoreAPI endpoints the querier talks to, and their health. This is the
 * querier's endpoint set (Thanos `pkg/query/endpointset.go`); file-sd.ts and dns-sd.ts resolve
 * the addresses.
 *
 * Addresses come from flags (`--endpoint`/`--store`, HOST:PORT, or `dns+`/`dnssrv+` names
 * re-resolved every `--store.sd-dns-interval`, see dns-sd.ts) and file SD (`--store.sd-files`,
 * re-read when a file changes and every `--store.sd-interval`). Every `--endpoint.info-timeout`
 * each endpoint is asked `thanos.info.Info/Info` with that timeout, concurrently:
 * - success: metadata (component type, external label sets, store min/max time, capabilities)
 *   is stored, lastCheck = now, lastError cleared; the endpoint is queryable;
 * - failure: the previous metadata is kept, lastError set, lastCheck untouched; the endpoint
 *   leaves the fan-out. A brand-new endpoint whose first check fails is still listed (so the
 *   Stores page shows why) but never queried;
 * - an endpoint failing for longer than `--store.unhealthy-timeout` is removed (its channel
 *   closed), as is one that is no longer in the spec list; a store that comes back (or is
 *   re-listed) rejoins on its next successful check.
 * Two producers (sidecar/rule) announcing the same external label set get a warning
 * (upstream #1633: HA replicas need a distinguishing replica label).
 */
import {watch, type FSWatcher} from 'node:fs'
import {dirname} from 'node:path'
import {Gauge, type Registry} from 'prom-client'
import type {StoreStatus} from '../api/api-types.js'
import type {GlobalViewApiName, GlobalViewEndpoint} from '../globalview/fanout.js'
import {labelsKey, labelsToRecord, labelsToString, type Labels} from '../labels/labels.js'
import type {Logger} from '../log.js'
import {isDnsSpec, resolveSpecs} from './dns-sd.js'
import {readSdFiles} from './file-sd.js'
import {channelCredentials} from '../storeapi/grpc-client-options.js'
import {StoreClient, type EndpointInfo, type StoreClientOptions} from '../storeapi/store-client.js'
import type {StoreRef} from '../storepb/store-types.js'

export interface EndpointSetOptions {
  /** Static HOST:PORT addresses (`--endpoint`, `--store`). */
  addresses?: readonly string[]
  /**
   * `--endpoint-strict`: always part of the fan-out, even when failing its checks (a failure
   * then shows as a partial-response warning or an ABORT error instead of silently missing
   * data, upstream PR #3562), and never removed for being unhealthy.
   */
  strictAddresses?: readonly string[]
  /** `--store.sd-dns-interval` [30s]: re-resolution of `dns+`/`dnssrv+` addresses. */
  dnsIntervalMs?: number
  /** `--store.sd-files` (globs on the file name allowed). */
  sdFiles?: readonly string[]
  /** `--store.sd-interval` [5m]. */
  sdIntervalMs?: number
  /** `--endpoint.info-timeout` [5s]: Info call timeout and the update period. */
  infoTimeoutMs?: number
  /** Update period if different from infoTimeoutMs (tests). */
  updateIntervalMs?: number
  /** `--store.unhealthy-timeout` [5m]. */
  unhealthyTimeoutMs?: number
  /** Channel options for every endpoint (TLS, message sizes, keepalive). */
  client?: StoreClientOptions
  registry?: Registry
  logger?: Logger
}

/** One endpoint as the proxy and the Stores page see it. */
export interface Endpoint {
  readonly address: string
  readonly client: StoreClient
  /** From the last successful Info call; undefined until one succeeded. */
  info: EndpointInfo | undefined
  /** ms since epoch of the last successful Info call. */
  lastCheck: number | undefined
  lastError: string | undefined
  /** When the endpoint was first seen (ms). */
  readonly addedAt: number
}

export type {StoreStatus} from '../api/api-types.js'

export function isHealthy(e: Endpoint): boolean {
  return e.info !== undefined && e.lastError === undefined
}

export class EndpointSet {
  private readonly endpoints = new Map<string, Endpoint>()
  private readonly opts: Required<Pick<EndpointSetOptions, 'infoTimeoutMs' | 'unhealthyTimeoutMs' | 'sdIntervalMs'>> & EndpointSetOptions
  private sdTargets: string[] = []
  /** DNS spec (`dns+…`) → addresses it resolved to last time. */
  private readonly dnsResolved = new Map<string, string[]>()
  private timers: NodeJS.Timeout[] = []
  private watchers: FSWatcher[] = []
  private updating: Promise<void> | undefined
  private stopped = false
  private readonly connGauge: Gauge | undefined
  private readonly healthGauge: Gauge | undefined

  constructor(opts: EndpointSetOptions) {
    this.opts = {infoTimeoutMs: 5000, unhealthyTimeoutMs: 5 * 60_000, sdIntervalMs: 5 * 60_000, ...opts}
    // Bad TLS flags (unreadable files, cert without key) fail here, at start-up, not per endpoint.
    channelCredentials(opts.client?.tls)
    if (opts.registry) {
      this.connGauge = new Gauge({
        name: 'thanos_store_nodes_grpc_connections',
        help: 'Number of gRPC connection to Store APIs. Opened connection means healthy store APIs available for Querier.',
        labelNames: ['external_labels', 'store_type'],
        registers: [opts.registry],
      })
      // Upstream lacks a per-endpoint health metric (#2961, #4177); 0/1 per address.
      this.healthGauge = new Gauge({
        name: 'thanosts_store_endpoint_healthy',
        help: 'Whether the StoreAPI endpoint answered its last Info call (1) or not (0).',
        labelNames: ['address'],
        registers: [opts.registry],
      })
    }
  }

  /** Reads SD files, runs the first check (awaited) and starts the periodic loops. */
  async start(): Promise<void> {
    await this.refreshSd()
    await this.refreshDns()
    await this.update()
    if (this.stopped) return
    const every = this.opts.updateIntervalMs ?? this.opts.infoTimeoutMs
    this.timers.push(setInterval(() => void this.update(), every))
    this.timers.push(setInterval(() => void this.refreshDns().then(() => this.update()), this.opts.dnsIntervalMs ?? 30_000))
    if (this.opts.sdFiles && this.opts.sdFiles.length > 0) {
      this.timers.push(setInterval(() => void this.refreshSd().then(() => this.refreshDns()).then(() => this.update()), this.opts.sdIntervalMs))
      this.watchSdFiles()
    }
    for (const t of this.timers) t.unref()
  }

  async stop(): Promise<void> {
    this.stopped = true
    for (const t of this.timers) clearInterval(t)
    this.timers = []
    for (const w of this.watchers) w.close()
    this.watchers = []
    await this.updating
    for (const e of this.endpoints.values()) e.client.close()
    this.endpoints.clear()
  }

  /** All known endpoints, healthy or not (Stores page). */
  all(): Endpoint[] {
    return [...this.endpoints.values()]
  }

  /** Endpoints that serve the StoreAPI and answered their last Info call: the fan-out. */
  stores(): Endpoint[] {
    return this.all().filter((e) => isHealthy(e) && e.info!.store !== undefined)
  }

  private isStrict(address: string): boolean {
    return this.opts.strictAddresses?.includes(address) ?? false
  }

  /** The fan-out as the proxy takes it: `new ProxyStore({stores: () => set.storeRefs()})`. */
  storeRefs(): StoreRef[] {
    const out: StoreRef[] = []
    for (const e of this.endpoints.values()) {
      const usable = isHealthy(e) && e.info!.store !== undefined
      if (!usable && !this.isStrict(e.address)) continue
      // A strict endpoint never identified gets upstream's placeholder: no labels, all time.
      const st = e.info?.store
      out.push({
        name: e.address,
        labelSets: e.info?.labelSets ?? [],
        minTime: st?.minTime ?? Number.NEGATIVE_INFINITY,
        maxTime: st?.maxTime ?? Number.POSITIVE_INFINITY,
        supportsWithoutReplicaLabels: st?.supportsWithoutReplicaLabels ?? false,
        caller: e.client,
      })
    }
    return out
  }

  /**
   * Endpoints whose Info announces `api` (rules, targets, metric metadata, exemplars) and that
   * are queryable: healthy, or strict with an Info from before they failed, as Thanos's
   * Get{Rules,Targets,MetricMetadata}Clients and GetExemplarsStores. Any component counts: a
   * sidecar, a ruler, or a querier (Thanos's or ours) that serves them in turn.
   */
  globalViewEndpoints(api: GlobalViewApiName): GlobalViewEndpoint[] {
    const out: GlobalViewEndpoint[] = []
    for (const e of this.endpoints.values()) {
      if (e.info === undefined || e.info[api] === undefined) continue
      if (!isHealthy(e) && !this.isStrict(e.address)) continue
      out.push({name: e.address, componentType: e.info.componentType, labelSets: e.info.labelSets, caller: e.client.globalView})
    }
    return out
  }

  /** One round of checks. Concurrent calls share the round in flight. */
  update(): Promise<void> {
    if (this.stopped) return Promise.resolve()
    this.updating ??= this.doUpdate().finally(() => {
      this.updating = undefined
    })
    return this.updating
  }

  private specs(): string[] {
    const out: string[] = []
    for (const s of [...(this.opts.addresses ?? []), ...this.sdTargets]) {
      if (isDnsSpec(s)) out.push(...(this.dnsResolved.get(s) ?? []))
      else out.push(s)
    }
    out.push(...(this.opts.strictAddresses ?? []))
    return [...new Set(out)]
  }

  /** Resolves `dns+`/`dnssrv+` specs; a failed name keeps its previous addresses. */
  private async refreshDns(): Promise<void> {
    const specs = [...(this.opts.addresses ?? []), ...this.sdTargets].filter(isDnsSpec)
    for (const k of [...this.dnsResolved.keys()]) if (!specs.includes(k)) this.dnsResolved.delete(k)
    await Promise.all(
      specs.map(async (s) => {
        const {addresses, errors} = await resolveSpecs([s])
        for (const err of errors) this.opts.logger?.warn('store DNS discovery failed', {err})
        if (errors.length === 0) this.dnsResolved.set(s, addresses)
      }),
    )
  }

  private async doUpdate(): Promise<void> {
    const want = new Set(this.specs())
    for (const [addr, e] of this.endpoints) {
      if (!want.has(addr)) this.remove(addr, e, 'no longer in the endpoint list')
    }
    const now = Date.now()
    for (const addr of want) {
      if (!this.endpoints.has(addr)) {
        const client = new StoreClient(addr, this.opts.client)
        this.endpoints.set(addr, {address: addr, client, info: undefined, lastCheck: undefined, lastError: undefined, addedAt: now})
      }
    }
    await Promise.all([...this.endpoints.values()].map((e) => this.check(e)))
    if (this.stopped) return
    const t = Date.now()
    for (const [addr, e] of this.endpoints) {
      const since = e.lastCheck ?? e.addedAt
      if (e.lastError !== undefined && !this.isStrict(addr) && t - since >= this.opts.unhealthyTimeoutMs) {
        this.remove(addr, e, `unhealthy for longer than ${this.opts.unhealthyTimeoutMs / 1000}s: ${e.lastError}`)
      }
    }
    this.warnDuplicates()
    this.updateMetrics()
  }

  private async check(e: Endpoint): Promise<void> {
    try {
      const info = await e.client.info({timeoutMs: this.opts.infoTimeoutMs})
      const wasDown = e.lastError !== undefined || e.info === undefined
      e.info = info
      e.lastCheck = Date.now()
      e.lastError = undefined
      if (wasDown) this.opts.logger?.info('adding new store endpoint', {address: e.address, component: info.componentType, extLset: info.labelSets.map(labelsToString).join(',')})
    } catch (err) {
      const msg = (err as Error).message
      if (e.lastError === undefined) this.opts.logger?.warn('store endpoint check failed', {address: e.address, err: msg})
      e.lastError = msg
    }
  }

  private remove(addr: string, e: Endpoint, why: string): void {
    this.opts.logger?.info('removing store endpoint', {address: addr, reason: why})
    this.endpoints.delete(addr)
    this.healthGauge?.remove({address: addr})
    // grpc-js lets calls in flight on a closed channel finish.
    e.client.close()
  }

  private warnDuplicates(): void {
    const seen = new Map<string, string>()
    for (const e of this.stores()) {
      const type = e.info!.componentType
      if (type !== 'sidecar' && type !== 'rule') continue
      for (const ls of e.info!.labelSets) {
        const k = labelsKey(ls)
        const other = seen.get(k)
        if (other !== undefined && other !== e.address) {
          this.opts.logger?.warn('found duplicate storeEndpoints producer (sidecar or ruler); external labels should be unique, HA replicas need a replica label', {
            address: e.address,
            other,
            extLset: labelsToString(ls),
          })
        }
        seen.set(k, e.address)
      }
    }
  }

  /** Label combinations ever exported: they go to 0 instead of vanishing (upstream #2961). */
  private readonly seenConn = new Map<string, {ext: string; type: string}>()

  private updateMetrics(): void {
    if (this.connGauge) {
      const counts = new Map<string, {ext: string; type: string; n: number}>()
      for (const [k, c] of this.seenConn) counts.set(k, {...c, n: 0})
      for (const e of this.stores()) {
        const ext = e.info!.labelSets.map(labelsToString).sort().join(',')
        const k = ext + '\0' + e.info!.componentType
        const c = counts.get(k) ?? {ext, type: e.info!.componentType, n: 0}
        c.n++
        counts.set(k, c)
        this.seenConn.set(k, {ext, type: c.type})
      }
      for (const c of counts.values()) this.connGauge.set({external_labels: c.ext, store_type: c.type}, c.n)
    }
    if (this.healthGauge) for (const e of this.endpoints.values()) this.healthGauge.set({address: e.address}, isHealthy(e) ? 1 : 0)
  }

  /**
   * `/api/v1/stores`: component type → endpoints. An endpoint that went down keeps its last
   * Info (type, labels, times) and shows its lastError. One that never answered is listed
   * under "unknown" with its error, so the Stores page shows a mistyped or unreachable address
   * instead of hiding it (Thanos leaves those out).
   */
  status(): Record<string, StoreStatus[]> {
    const out: Record<string, StoreStatus[]> = {}
    for (const e of [...this.endpoints.values()].sort((a, b) => (a.address < b.address ? -1 : 1))) {
      if (e.info === undefined || e.info.componentType === '') {
        if (e.lastError === undefined) continue // first check still in flight
        ;(out.unknown ??= []).push({name: e.address, lastCheck: new Date(e.lastCheck ?? 0).toISOString(), lastError: e.lastError, labelSets: [], minTime: 0, maxTime: 0})
        continue
      }
      const list = (out[e.info.componentType] ??= [])
      list.push({
        name: e.address,
        lastCheck: new Date(e.lastCheck ?? 0).toISOString(),
        lastError: e.lastError ?? null,
        labelSets: e.info.labelSets.map((ls: Labels) => labelsToRecord(ls)),
        minTime: e.info.store?.minTime ?? 0,
        maxTime: e.info.store?.maxTime ?? 0,
      })
    }
    return out
  }

  private async refreshSd(): Promise<void> {
    if (!this.opts.sdFiles || this.opts.sdFiles.length === 0) return
    const {targets, errors} = await readSdFiles(this.opts.sdFiles)
    for (const err of errors) this.opts.logger?.warn('reading store SD file', {err})
    // A file that failed to parse keeps the last good target list (as Prometheus file_sd).
    if (errors.length === 0 || targets.length > 0) this.sdTargets = targets
  }

  private watchSdFiles(): void {
    const dirs = new Set(this.opts.sdFiles!.map((f) => dirname(f)))
    for (const d of dirs) {
      try {
        // Watch directories: editors and config management replace files by rename.
        const w = watch(d, {persistent: false}, () => {
          void this.refreshSd().then(() => this.refreshDns()).then(() => this.update())
        })
        w.on('error', () => w.close())
        this.watchers.push(w)
      } catch (e) {
        this.opts.logger?.warn('cannot watch store SD directory; relying on --store.sd-interval', {dir: d, err: (e as Error).message})
      }
    }
  }
}
