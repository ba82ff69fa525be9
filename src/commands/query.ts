import {Command, Flags} from '@oclif/core'
import {runQuerier} from '../core/query/querier.js'
import {durationFlag, loggerFromFlags, logFlags} from '../cli/flags.js'
import {parseEngineFeatures} from '../core/promql/engine/features.js'

export default class Query extends Command {
  static override summary = 'Query many StoreAPI endpoints (sidecars, queriers) through one Prometheus-compatible HTTP API, deduplicating HA replicas.'
  static override description = `Fans out to every --store, merges their series, removes the --query.replica-label labels and merges
replicas (penalty algorithm, counter-aware) so that a gap in one replica is filled by the other, then
evaluates PromQL. Serves Prometheus's HTTP API v1 (Grafana works against it as against Prometheus) on
--http-address, and the StoreAPI itself on --grpc-address so queriers can be stacked.`

  static override examples = ['<%= config.bin %> query --store 127.0.0.1:10901 --store 127.0.0.1:10911 --query.replica-label replica']

  static override flags = {
    'http-address': Flags.string({description: 'Listen host:port for the HTTP API, /metrics and probes.', default: '0.0.0.0:10902'}),
    'grpc-address': Flags.string({description: 'Listen ip:port for the gRPC StoreAPI (for stacked queriers).', default: '0.0.0.0:10901'}),
    store: Flags.string({description: 'Address of a StoreAPI endpoint, HOST:PORT (repeatable; alias --endpoint).', multiple: true, default: [], aliases: ['endpoint']}),
    'endpoint-strict': Flags.string({description: '(Deprecated): Addresses of only statically configured Thanos API servers that are always used, even if the health check fails (repeatable).', multiple: true, default: []}),
    'store.sd-files': Flags.string({description: 'File SD files (YAML/JSON, Prometheus targets format) listing store addresses (repeatable).', multiple: true, default: []}),
    'store.sd-interval': durationFlag({description: 'Refresh interval to re-read file SD files.', default: 300_000, defaultHelp: async () => '5m'}),
    'store.unhealthy-timeout': durationFlag({description: 'Timeout before an unhealthy store is removed from the list.', default: 300_000, defaultHelp: async () => '5m'}),
    'endpoint.info-timeout': durationFlag({description: 'Timeout of the Info call and period of the health checks.', default: 5_000, defaultHelp: async () => '5s'}),
    'store.response-timeout': durationFlag({description: 'A store that sends nothing for this long is cancelled and becomes a partial-response warning (0 = off).', default: 0, defaultHelp: async () => '0ms'}),
    'query.replica-label': Flags.string({description: 'Labels to treat as replica indicators along which data is deduplicated (repeatable; comma-separated accepted).', multiple: true, default: []}),
    'deduplication.func': Flags.string({description: 'Replica merge: penalty (as Thanos: stays on one replica, may skip up to two scrapes at a switch), chain (merges all samples), or penalty-fill (penalty without the skipped scrapes).', options: ['penalty', 'chain', 'penalty-fill'], default: 'penalty'}),
    'query.partial-response': Flags.boolean({description: 'Enable partial response by default: a failing store gives a warning and the rest of the data.', default: true, allowNo: true}),
    'query.timeout': durationFlag({description: 'Maximum time to process a query.', default: 120_000, defaultHelp: async () => '2m'}),
    'query.max-concurrent': Flags.integer({description: 'Maximum number of queries processed concurrently.', default: 20, min: 1}),
    'query.max-samples': Flags.integer({description: 'Maximum number of samples a single query can load into memory.', default: 50_000_000, min: 1}),
    'enable-feature': Flags.string({description: 'Comma separated feature names to enable. Valid options for now: promql-per-step-stats (per-step sample counts in the stats of queries asking stats=all, as Prometheus\'s feature), promql-delayed-name-removal (__name__ removed only at the end of the query, as Prometheus 3\'s feature).', multiple: true, default: []}),
    'query.lookback-delta': durationFlag({description: 'The maximum lookback duration for retrieving metrics during expression evaluations (default 5m).'}),
    'query.auto-downsampling': Flags.boolean({description: 'Enable automatic adjustment (step / 5) to what source of data should be used in store gateways if no max_source_resolution param is specified.', default: false}),
    'query.instant.default.max_source_resolution': durationFlag({description: 'Default value for max_source_resolution for instant queries (0s: raw data only).', default: 0, defaultHelp: async () => '0s', hidden: true}),
    'grpc-client-tls-secure': Flags.boolean({description: 'Use TLS when talking to the gRPC stores.', default: false}),
    'grpc-client-tls-cert': Flags.string({description: 'TLS client certificate file (mutual TLS).', default: ''}),
    'grpc-client-tls-key': Flags.string({description: 'TLS client key file (mutual TLS).', default: ''}),
    'grpc-client-tls-ca': Flags.string({description: 'TLS CA bundle to verify the stores\' certificates (system roots when empty).', default: ''}),
    'grpc-client-server-name': Flags.string({description: 'Server name to verify the store certificates against.', default: ''}),
    'grpc-client-tls-skip-verify': Flags.boolean({description: 'Do not verify the stores\' certificates.', default: false}),
    'web.route-prefix': Flags.string({description: 'Prefix for API and UI endpoints (defaults to the path of --web.external-prefix).', default: ''}),
    'web.external-prefix': Flags.string({description: 'URL or path under which the querier is reachable externally (e.g. behind a reverse proxy): the web UI builds its links, assets and API calls on it.', default: ''}),
    'web.prefix-header': Flags.string({description: 'Name of an HTTP request header carrying the external prefix per request (e.g. X-Forwarded-Prefix); overrides --web.external-prefix when present.', default: ''}),
    'web.disable-cors': Flags.boolean({description: 'Do not send CORS headers.', default: false}),
    'http-grace-period': durationFlag({description: 'Time to wait after an interrupt for in-flight HTTP requests.', default: 120_000, defaultHelp: async () => '2m'}),
    'grpc-grace-period': durationFlag({description: 'Time to wait after an interrupt for in-flight gRPC streams.', default: 120_000, defaultHelp: async () => '2m'}),
    ...logFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Query)
    const logger = loggerFromFlags(flags)
    const shown: Record<string, string> = {}
    for (const [k, v] of Object.entries(flags)) shown[k] = Array.isArray(v) ? v.join(',') : String(v)
    try {
      const q = await runQuerier({
        httpAddress: flags['http-address'],
        grpcAddress: flags['grpc-address'],
        stores: flags.store,
        strictStores: flags['endpoint-strict'],
        clientTls: flags['grpc-client-tls-secure']
          ? {
              secure: true,
              certFile: flags['grpc-client-tls-cert'] || undefined,
              keyFile: flags['grpc-client-tls-key'] || undefined,
              caFile: flags['grpc-client-tls-ca'] || undefined,
              serverName: flags['grpc-client-server-name'] || undefined,
              skipVerify: flags['grpc-client-tls-skip-verify'],
            }
          : undefined,
        sdFiles: flags['store.sd-files'],
        sdIntervalMs: flags['store.sd-interval'],
        infoTimeoutMs: flags['endpoint.info-timeout'],
        unhealthyTimeoutMs: flags['store.unhealthy-timeout'],
        responseTimeoutMs: flags['store.response-timeout'],
        replicaLabels: flags['query.replica-label'].flatMap((l) => l.split(',')).map((l) => l.trim()).filter(Boolean),
        dedupAlgorithm: flags['deduplication.func'] as 'penalty' | 'chain' | 'penalty-fill',
        partialResponse: flags['query.partial-response'],
        queryTimeoutMs: flags['query.timeout'],
        maxConcurrent: flags['query.max-concurrent'],
        maxSamples: flags['query.max-samples'],
        ...parseEngineFeatures(flags['enable-feature']),
        lookbackDeltaMs: flags['query.lookback-delta'],
        autoDownsampling: flags['query.auto-downsampling'],
        instantMaxSourceResolutionMs: flags['query.instant.default.max_source_resolution'],
        routePrefix: flags['web.route-prefix'],
        externalPrefix: flags['web.external-prefix'],
        prefixHeader: flags['web.prefix-header'] || undefined,
        disableCors: flags['web.disable-cors'],
        httpGracePeriodMs: flags['http-grace-period'],
        grpcGracePeriodMs: flags['grpc-grace-period'],
        flags: shown,
        logger,
      })
      q.lifecycle.handleSignals()
      await q.lifecycle.wait()
    } catch (e) {
      logger.error('query failed', {err: e})
      this.exit(1)
    }
  }
}
