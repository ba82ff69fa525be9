/**
 * Local evaluation for `query-once --store`: the same pipeline as `thanosts query` (Info each
 * store once, fan out, merge, deduplicate replicas, evaluate PromQL in-process), with no
 * server in between.
 */
import {buildExplain} from '../api/explain.js'
import {queryValueToApiData} from '../api/value-json.js'
import {parseExpr} from '../promql/parser/index.js'
import {SelectExplainCollector} from '../proxy/select-explain.js'
import {UnavailableError} from '../errors.js'
import {nopLogger, type Logger} from '../log.js'
import {Engine} from '../promql/engine/engine.js'
import {EndpointSet} from '../discovery/endpoint-set.js'
import {ProxyStore} from '../proxy/proxy.js'
import {createStoreQueryable} from '../proxy/store-queryable.js'
import type {ApiQueryResult} from '../api/api-types.js'
import type {QueryOnceConfig, ResolvedQuery} from './run.js'

export async function evaluateOverStores(q: ResolvedQuery, cfg: QueryOnceConfig, logger: Logger = nopLogger): Promise<ApiQueryResult> {
  const endpoints = new EndpointSet({addresses: cfg.stores, infoTimeoutMs: Math.min(cfg.timeoutMs, 10_000), logger})
  try {
    await endpoints.update()
    const warnings: string[] = []
    for (const e of endpoints.all()) if (e.lastError) warnings.push(`store ${e.address}: ${e.lastError}`)
    if (endpoints.storeRefs().length === 0) {
      throw new UnavailableError(`none of the stores answered: ${warnings.join('; ') || 'no stores given'}`)
    }
    if (!cfg.partialResponse && warnings.length > 0) throw new UnavailableError(warnings.join('; '))
    const proxy = new ProxyStore({stores: () => endpoints.storeRefs(), logger})
    const explain = cfg.explain ? new SelectExplainCollector() : undefined
    const queryable = createStoreQueryable(proxy, {
      replicaLabels: cfg.replicaLabels,
      dedup: cfg.dedup,
      partialResponse: cfg.partialResponse,
      timeoutMs: cfg.timeoutMs,
      explain,
    })
    const engine = new Engine({timeout: cfg.timeoutMs, enableDelayedNameRemoval: cfg.enableDelayedNameRemoval})
    const expr = parseExpr(q.query)
    // the text, for the positions annotations print
    const opts = {query: q.query}
    const res = q.range ? await engine.rangeQuery(queryable, expr, q.range.start, q.range.end, q.range.step, opts) : await engine.instantQuery(queryable, expr, q.time!, opts)
    const out: ApiQueryResult = {data: queryValueToApiData(res.value), warnings: [...warnings, ...res.warnings], infos: res.infos}
    if (explain) out.explain = buildExplain(expr, res.value, explain)
    return out
  } finally {
    await endpoints.stop()
  }
}
