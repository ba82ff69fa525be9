/**
 * The check of Prometheus's flags that Thanos's sidecar makes before shipping
 * (thanos `cmd/thanos/sidecar.go` validatePrometheus, `pkg/promclient/promclient.go`
 * ConfiguredFlags), with its messages:
 *
 * - the shipper uploads level-1 blocks only, so Prometheus must not compact them before they
 *   are uploaded: either min-block-duration = max-block-duration (compaction off), or
 *   Prometheus ≥ 3.9 delays compaction through `--storage.tsdb.delay-compact-file.path`, which
 *   must then be the shipper's own file, `<tsdb.path>/<shipper meta file>`;
 * - a block duration other than 2h is only warned about;
 * - a Prometheus without /api/v1/status/flags (older than 2.2, a 404) is not checked.
 */
import path from 'node:path'
import {request} from 'undici'
import {BadDataError, UnavailableError} from '../errors.js'
import type {Logger} from '../log.js'

/** The flags the check reads, as Prometheus reports them (strings). */
export interface PrometheusTsdbFlags {
  minBlockDuration: number
  maxBlockDuration: number
  delayCompactFilePath: string
}

/** Prometheus answered 404: a version without the flags endpoint. */
export const FLAGS_ENDPOINT_NOT_FOUND = Symbol('no flag endpoint found')

/** GET /api/v1/status/flags; FLAGS_ENDPOINT_NOT_FOUND on 404. */
export async function fetchPrometheusFlags(prometheusUrl: string, signal?: AbortSignal): Promise<PrometheusTsdbFlags | typeof FLAGS_ENDPOINT_NOT_FOUND> {
  const url = new URL('api/v1/status/flags', prometheusUrl.endsWith('/') ? prometheusUrl : `${prometheusUrl}/`)
  let status: number
  let text: string
  try {
    const res = await request(url, {signal})
    status = res.statusCode
    text = await res.body.text()
  } catch (e) {
    throw new UnavailableError(`request config against ${url.href}: ${(e as Error).message}`, {cause: e})
  }
  if (status === 404) return FLAGS_ENDPOINT_NOT_FOUND
  if (status !== 200) throw new UnavailableError(`got non-200 response code: ${status}, response: ${text}`)
  return parsePrometheusFlags(text)
}

/** The `data` of a flags answer; durations in ms. @throws BadDataError as Go's unmarshalling fails. */
export function parsePrometheusFlags(text: string): PrometheusTsdbFlags {
  let data: Record<string, unknown>
  try {
    data = ((JSON.parse(text) as {data?: Record<string, unknown>}).data ?? {}) as Record<string, unknown>
  } catch (e) {
    throw new BadDataError(`unmarshal response: ${(e as Error).message}: ${text}`)
  }
  // Go decodes absent keys as zero values; a present duration must parse.
  const dur = (k: string): number => {
    const v = data[k]
    if (v === undefined || v === null) return 0
    try {
      return parsePromDuration(String(v))
    } catch (e) {
      throw new BadDataError(`unmarshal response: ${(e as Error).message}: ${text}`)
    }
  }
  const delay = data['storage.tsdb.delay-compact-file.path']
  return {
    minBlockDuration: dur('storage.tsdb.min-block-duration'),
    maxBlockDuration: dur('storage.tsdb.max-block-duration'),
    delayCompactFilePath: typeof delay === 'string' ? delay : '',
  }
}

export interface FlagCheckOptions {
  /** `--tsdb.path` and `--shipper.meta-file-name`, as given. */
  tsdbPath: string
  metaFileName: string
  /** Hidden `--shipper.ignore-unequal-block-size`. */
  ignoreUnequalBlockSize: boolean
  logger: Logger
}

/** The decision on fetched flags. @throws BadDataError with Thanos's message when shipping is unsafe. */
export function checkPrometheusFlags(flags: PrometheusTsdbFlags, o: FlagCheckOptions): void {
  if (flags.delayCompactFilePath !== '') {
    const metaPath = goJoin(o.tsdbPath, o.metaFileName)
    if (goClean(flags.delayCompactFilePath) !== goClean(metaPath)) {
      throw new BadDataError(
        'found that Prometheus and Thanos use different paths for tracking block uploads. ' +
          `Prometheus uses --storage.tsdb.delay-compact-file.path=${flags.delayCompactFilePath} while Thanos will write to ${metaPath}, they must both use the same path.`,
      )
    }
  }
  if (flags.minBlockDuration !== flags.maxBlockDuration && flags.delayCompactFilePath === '') {
    if (!o.ignoreUnequalBlockSize) {
      throw new BadDataError(
        `found that TSDB Max time is ${formatPromDuration(flags.maxBlockDuration)} and Min time is ${formatPromDuration(flags.minBlockDuration)}. ` +
          'Compaction needs to be disabled (storage.tsdb.min-block-duration = storage.tsdb.max-block-duration)',
      )
    }
    o.logger.warn(
      'flag to ignore Prometheus min/max block duration flags differing is being used. If the upload of a 2h block fails and a Prometheus compaction happens that block may be missing from your Thanos bucket storage.',
    )
  }
  if (flags.minBlockDuration !== 2 * 3_600_000) {
    o.logger.warn('found that TSDB block time is not 2h. Only 2h block time is recommended.', {'block-time': formatPromDuration(flags.minBlockDuration)})
  }
}

/**
 * One validation as upstream's: fetch the flags, retrying every 2 s for up to `timeoutMs` while
 * Prometheus does not answer; a 404 skips the check with a warning.
 */
export async function validatePrometheusFlags(prometheusUrl: string, o: FlagCheckOptions & {timeoutMs: number; signal?: AbortSignal}): Promise<void> {
  const deadline = Date.now() + o.timeoutMs
  let flags: PrometheusTsdbFlags | typeof FLAGS_ENDPOINT_NOT_FOUND
  for (;;) {
    const left = deadline - Date.now()
    const signal = o.signal ? AbortSignal.any([o.signal, AbortSignal.timeout(Math.max(1, left))]) : AbortSignal.timeout(Math.max(1, left))
    try {
      flags = await fetchPrometheusFlags(prometheusUrl, signal)
      break
    } catch (e) {
      o.logger.warn('failed to get Prometheus flags. Is Prometheus running? Retrying', {err: e})
      if (o.signal?.aborted || Date.now() + 2000 >= deadline) throw new UnavailableError(`fetch Prometheus flags: ${(e as Error).message}`, {cause: e})
      await new Promise((r) => setTimeout(r, 2000))
    }
  }
  if (flags === FLAGS_ENDPOINT_NOT_FOUND) {
    o.logger.warn('failed to check Prometheus flags, due to potentially older Prometheus. No extra validation is done.', {err: 'no flag endpoint found'})
    return
  }
  checkPrometheusFlags(flags, o)
}

const UNITS: Record<string, number> = {y: 365 * 86_400_000, w: 7 * 86_400_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1}
const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/

/** prometheus/common model.ParseDuration: `1d2h`, units y w d h m s ms in that order, or `0`. */
export function parsePromDuration(s: string): number {
  if (s === '0') return 0
  const m = DURATION_RE.exec(s)
  if (s === '' || !m) throw new BadDataError(`not a valid duration string: ${JSON.stringify(s)}`)
  const units = ['y', 'w', 'd', 'h', 'm', 's', 'ms']
  let ms = 0
  for (let i = 0; i < units.length; i++) if (m[i + 1] !== undefined) ms += Number(m[i + 1]) * UNITS[units[i]!]!
  return ms
}

/** prometheus/common model.Duration.String(): years and weeks only when exact. */
export function formatPromDuration(ms: number): string {
  if (ms === 0) return '0s'
  let left = ms
  let out = ''
  for (const [unit, exact] of [['y', true], ['w', true], ['d', false], ['h', false], ['m', false], ['s', false], ['ms', false]] as const) {
    const mult = UNITS[unit]!
    if (exact && left % mult !== 0) continue
    const v = Math.floor(left / mult)
    if (v > 0) {
      out += `${v}${unit}`
      left -= v * mult
    }
  }
  return out
}

/** Go's filepath.Join: the elements joined by `/`, cleaned; empty elements ignored. */
function goJoin(...parts: string[]): string {
  const p = parts.filter((x) => x !== '')
  return p.length === 0 ? '' : goClean(p.join('/'))
}

/** Go's filepath.Clean: normalized, no trailing slash, `.` for an empty path. */
function goClean(p: string): string {
  if (p === '') return '.'
  const n = path.posix.normalize(p)
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n
}
