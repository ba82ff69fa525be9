/**
 * The querier's fan-out of the Rules, Targets, Metadata and Exemplars APIs, as Thanos's proxies
 * (pkg/rules/proxy.go, pkg/targets/proxy.go, pkg/metadata/proxy.go, pkg/exemplars/proxy.go):
 * the request goes to every endpoint that announces the API, concurrently; nothing is merged
 * or deduplicated here (the querier's view does that, global-view.ts), so a querier stacked
 * on this one sees every replica's answer.
 *
 * - The request's partial-response strategy decides what a failing endpoint does: with WARN it
 *   becomes a warning and the rest is answered, with ABORT the whole call fails (the other
 *   calls are cancelled). An endpoint's own warnings are passed on either way.
 * - Frames come out as Thanos sends them: every warning first, in the order they arose, then
 *   the items of each endpoint in the order the endpoints finished, an endpoint's own items
 *   in its order.
 * - No endpoint at all is an empty answer without a warning, as in Thanos.
 * - Exemplars are routed as Thanos routes them (exemplars-route.ts): an endpoint whose
 *   external labels rule out every selector of the query is not asked, and the others are
 *   asked for the query's selectors only.
 */
import {CanceledError, ThanostsError} from '../errors.js'
import type {Labels} from '../labels/labels.js'
import type {Logger} from '../log.js'
import {exemplarsQueryFor, querySelectors} from './exemplars-route.js'
import type {
  ExemplarsFrame,
  ExemplarsRequest,
  MetadataFrame,
  MetricMetadataRequest,
  RulesFrame,
  RulesRequest,
  TargetsFrame,
  TargetsRequest,
} from './messages.js'
import {PartialResponseStrategy} from './messages.js'

/** One endpoint's four APIs (the gRPC client, or anything with the same shape). */
export interface GlobalViewCaller {
  rules(req: RulesRequest, signal: AbortSignal): Promise<RulesFrame[]>
  targets(req: TargetsRequest, signal: AbortSignal): Promise<TargetsFrame[]>
  metricMetadata(req: MetricMetadataRequest, signal: AbortSignal): Promise<MetadataFrame[]>
  exemplars(req: ExemplarsRequest, signal: AbortSignal): Promise<ExemplarsFrame[]>
}

/** The Info fields that announce each API (storepb/store-wire.ts EndpointInfo). */
export type GlobalViewApiName = 'rules' | 'targets' | 'metricMetadata' | 'exemplars'

export interface GlobalViewEndpoint {
  /** The address, named in warnings. */
  readonly name: string
  readonly componentType: string
  /** External label sets from Info (exemplar routing). */
  readonly labelSets: readonly Labels[]
  readonly caller: GlobalViewCaller
}

export interface GlobalViewFanoutOptions {
  /** The endpoints that serve `api` now (EndpointSet.globalViewEndpoints). */
  endpoints: (api: GlobalViewApiName) => readonly GlobalViewEndpoint[]
  logger?: Logger
}

/** How Thanos names each API in its warnings: "receiving rules from rules client ...". */
const NOUN: Record<GlobalViewApiName, [what: string, client: string]> = {
  rules: ['rules', 'rules'],
  targets: ['targets', 'targets'],
  metricMetadata: ['metric metadata', 'metadata'],
  exemplars: ['exemplars', 'exemplars'],
}

/** Whether the call could not be opened ("fetching") or failed on the way ("receiving"). */
function phaseOf(e: unknown): string {
  const p = (e as {phase?: unknown}).phase
  return p === 'fetching' ? 'fetching' : 'receiving'
}

interface Fanned<Item> {
  items: Item[]
  warnings: string[]
}

export class GlobalViewFanout implements GlobalViewCaller {
  constructor(private readonly opts: GlobalViewFanoutOptions) {}

  async rules(req: RulesRequest, signal: AbortSignal): Promise<RulesFrame[]> {
    const r = await this.fan('rules', req.partial_response_strategy, signal, (e, s) => e.caller.rules(req, s), (f) => ('group' in f ? f.group : undefined))
    return [...r.warnings.map((warning) => ({warning})), ...r.items.map((group) => ({group}))]
  }

  async targets(req: TargetsRequest, signal: AbortSignal): Promise<TargetsFrame[]> {
    const r = await this.fan('targets', req.partial_response_strategy, signal, (e, s) => e.caller.targets(req, s), (f) => ('targets' in f ? f.targets : undefined))
    return [...r.warnings.map((warning) => ({warning})), ...r.items.map((targets) => ({targets}))]
  }

  async metricMetadata(req: MetricMetadataRequest, signal: AbortSignal): Promise<MetadataFrame[]> {
    const r = await this.fan('metricMetadata', req.partial_response_strategy, signal, (e, s) => e.caller.metricMetadata(req, s), (f) => ('metadata' in f ? f.metadata : undefined))
    return [...r.warnings.map((warning) => ({warning})), ...r.items.map((metadata) => ({metadata}))]
  }

  /**
   * A query without selectors (`vector(1)`) has no exemplars: empty, nobody asked. A query
   * that does not parse fails before any endpoint is asked.
   */
  async exemplars(req: ExemplarsRequest, signal: AbortSignal): Promise<ExemplarsFrame[]> {
    const selectors = querySelectors(req.query)
    if (selectors.length === 0) return []
    const queries = new Map<GlobalViewEndpoint, string>()
    for (const e of this.opts.endpoints('exemplars')) {
      const q = exemplarsQueryFor(selectors, e.labelSets, e.componentType === 'query')
      if (q !== undefined) queries.set(e, q)
    }
    const r = await this.fan(
      'exemplars',
      req.partial_response_strategy,
      signal,
      (e, s) => e.caller.exemplars({...req, query: queries.get(e)!}, s),
      (f) => ('data' in f ? f.data : undefined),
      [...queries.keys()],
    )
    return [...r.warnings.map((warning) => ({warning})), ...r.items.map((data) => ({data}))]
  }

  private async fan<Frame extends {warning: string} | object, Item>(
    api: GlobalViewApiName,
    strategy: number,
    signal: AbortSignal,
    call: (e: GlobalViewEndpoint, signal: AbortSignal) => Promise<Frame[]>,
    item: (f: Frame) => Item | undefined,
    targets: readonly GlobalViewEndpoint[] = this.opts.endpoints(api),
  ): Promise<Fanned<Item>> {
    const abort = strategy === PartialResponseStrategy.ABORT
    const [what, client] = NOUN[api]
    const out: Fanned<Item> = {items: [], warnings: []}
    const ctl = new AbortController()
    const onAbort = (): void => ctl.abort(signal.reason)
    if (signal.aborted) throw abortError(signal.reason)
    signal.addEventListener('abort', onAbort, {once: true})
    try {
      await Promise.all(
        targets.map(async (e) => {
          let frames: Frame[]
          try {
            frames = await call(e, ctl.signal)
          } catch (err) {
            if (signal.aborted) throw abortError(signal.reason)
            if (ctl.signal.aborted) return
            const kind = err instanceof ThanostsError ? err.kind : 'unavailable'
            const msg = `${phaseOf(err)} ${what} from ${client} client ${e.name}: ${err instanceof Error ? err.message : String(err)}`
            if (abort) {
              ctl.abort(new CanceledError('another endpoint failed'))
              throw new ThanostsError(kind, msg, {cause: err})
            }
            this.opts.logger?.warn('partial response: endpoint failed', {api, endpoint: e.name, err: msg})
            out.warnings.push(msg)
            return
          }
          const items: Item[] = []
          for (const f of frames) {
            const w = (f as {warning?: unknown}).warning
            if (typeof w === 'string') out.warnings.push(w)
            else {
              const it = item(f)
              if (it !== undefined) items.push(it)
            }
          }
          out.items.push(...items)
        }),
      )
      return out
    } finally {
      signal.removeEventListener('abort', onAbort)
      ctl.abort(new CanceledError('fan-out finished'))
    }
  }
}

function abortError(reason: unknown): ThanostsError {
  if (reason instanceof ThanostsError) return reason
  return new CanceledError(reason instanceof Error ? reason.message : undefined)
}
