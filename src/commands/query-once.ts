import {Args, Command, Flags} from '@oclif/core'
import {errorKind} from '../core/errors.js'
import {evaluateOverStores} from '../core/query-once/local-source.js'
import {runQueryOnce} from '../core/query-once/run.js'
import {parseEngineFeatures} from '../core/promql/engine/features.js'
import type {OutputFormat} from '../core/query-once/render.js'
import {durationFlag, loggerFromFlags, logFlags} from '../cli/flags.js'

export default class QueryOnce extends Command {
  static override summary = 'Evaluate one PromQL query and print the result (table, JSON or CSV).'
  static override description = `Evaluates locally over StoreAPI endpoints (--store, with the same fan-out, merge and replica
deduplication as 'thanosts query'), or asks any Prometheus-compatible HTTP API (--query.url: a
thanosts or Thanos querier, or Prometheus itself). Instant query at --time (default now), or a
range query with --start/--end/--step; times are RFC 3339, unix seconds, 'now' or relative like -1h.
Exit codes: 0 ok, 1 query or store error, 2 usage error.`

  static override examples = [
    `<%= config.bin %> query-once 'sum by (job) (rate(http_requests_total[5m]))' --store 127.0.0.1:10901 --store 127.0.0.1:10911 --query.replica-label replica`,
    `<%= config.bin %> query-once 'up' --query.url http://localhost:10902 --start -1h --step 1m`,
    `<%= config.bin %> query-once 'up' --query.url http://localhost:9090 --output json`,
    `<%= config.bin %> query-once 'rate(http_requests_total[5m])' --store 127.0.0.1:10901 --store 127.0.0.1:10911 --query.replica-label replica --start -6h --explain`,
  ]

  static override args = {
    expr: Args.string({description: 'PromQL expression', required: true}),
  }

  static override flags = {
    store: Flags.string({description: 'StoreAPI endpoint HOST:PORT to evaluate over (repeatable).', multiple: true, default: [], aliases: ['endpoint']}),
    'query.url': Flags.string({description: 'Base URL of a Prometheus-compatible HTTP API to ask instead of evaluating locally.'}),
    time: Flags.string({description: 'Evaluation time of an instant query (default: now).'}),
    start: Flags.string({description: 'Start of a range query (default: end - 1h).'}),
    end: Flags.string({description: 'End of a range query (default: now).'}),
    step: Flags.string({description: 'Step of a range query: seconds or a duration (default: about 250 points).'}),
    'query.replica-label': Flags.string({description: 'Labels to treat as replica indicators when deduplicating (repeatable).', multiple: true, default: []}),
    dedup: Flags.boolean({description: 'Deduplicate replicas (needs --query.replica-label with --store).', default: true, allowNo: true}),
    'partial-response': Flags.boolean({description: 'Answer with the data of the stores that respond, warning about the others.', default: true, allowNo: true}),
    timeout: durationFlag({description: 'Query timeout.', default: 120_000, defaultHelp: async () => '2m'}),
    output: Flags.string({char: 'o', description: 'Output format.', options: ['table', 'json', 'csv'], default: 'table'}),
    'time-columns': Flags.boolean({description: 'Range results in a table: one column per timestamp instead of a summary.', default: false}),
    'enable-feature': Flags.string({description: 'Comma separated feature names to enable, for local evaluation (--store). Valid options for now: promql-delayed-name-removal (__name__ removed only at the end of the query, as Prometheus 3\'s feature).', multiple: true, default: []}),
    explain: Flags.boolean({description: 'Also print which replica served which stretch of each series, with holes where no replica had data (thanosts queriers and --store).', default: false}),
    ...logFlags,
    // a one-shot command: only problems are worth printing by default
    'log.level': Flags.string({description: 'Log filtering level.', options: ['debug', 'info', 'warn', 'error'], default: 'warn'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(QueryOnce)
    const logger = loggerFromFlags(flags)
    const color = process.stdout.isTTY === true && !process.env.NO_COLOR
    try {
      const out = await runQueryOnce(
        {
          query: args.expr,
          queryUrl: flags['query.url'],
          stores: flags.store,
          time: flags.time,
          start: flags.start,
          end: flags.end,
          step: flags.step,
          replicaLabels: flags['query.replica-label'].flatMap((l) => l.split(',')).filter(Boolean),
          dedup: flags.dedup,
          partialResponse: flags['partial-response'],
          timeoutMs: flags.timeout,
          output: flags.output as OutputFormat,
          timeColumns: flags['time-columns'],
          color,
          explain: flags.explain,
          enableDelayedNameRemoval: parseEngineFeatures(flags['enable-feature']).enableDelayedNameRemoval,
        },
        (q, cfg) => evaluateOverStores(q, cfg, logger),
      )
      for (const w of out.warnings) process.stderr.write(`warning: ${w}\n`)
      for (const i of out.infos) process.stderr.write(`info: ${i}\n`)
      process.stdout.write(out.stdout + '\n')
    } catch (e) {
      process.stderr.write(`error: ${(e as Error).message}\n`)
      // bad input that only core can judge (e.g. a PromQL parse error) is a query error: exit 1
      this.exit(errorKind(e) === 'bad_data' && /^--|give --store/.test((e as Error).message) ? 2 : 1)
    }
  }
}
