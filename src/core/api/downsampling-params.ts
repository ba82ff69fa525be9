/**
 * The querier API's choice of source resolution (thanos pkg/api/query/v1.go
 * parseDownsamplingParamMillis, cmd/thanos/query.go LookbackDeltaFactory).
 *
 * `max_source_resolution`: a duration (float seconds or a Prometheus duration), `auto`, or
 * absent. `auto`, or absent with --query.auto-downsampling, is the handler's default: step / 5
 * for range queries (at least five samples per step), the hidden
 * --query.instant.default.max_source_resolution (0s) for instant ones. Otherwise absent is 0:
 * raw data only. thanosts also takes `raw` for 0 (Thanos's UI shows "raw" but sends 0s).
 */
import {BadDataError} from '../errors.js'
import {parseDurationParam} from './params.js'

const PARAM = 'max_source_resolution'

/** Resolutions of downsampled blocks (pkg/compact/downsample ResLevel0..2), ms. */
const RESOLUTIONS = [0, 300_000, 3_600_000] as const

/** The request's max source resolution in ms. @throws BadDataError for a malformed or negative value. */
export function parseMaxSourceResolution(v: string | null, defaultMs: number, autoDownsampling: boolean): number {
  let ms = 0
  if (autoDownsampling || v === 'auto') ms = defaultMs
  if (v !== null && v !== '' && v !== 'auto') {
    if (v === 'raw') ms = 0
    else {
      try {
        ms = parseDurationParam(v, PARAM)
      } catch {
        throw new BadDataError(`'${PARAM}' parameter: cannot parse ${JSON.stringify(v)} to a valid duration`)
      }
    }
  }
  if (ms < 0) throw new BadDataError(`negative '${PARAM}' is not accepted. Try a positive integer`)
  return Math.trunc(ms)
}

/**
 * The lookback delta for a max source resolution (LookbackDeltaFactory with the hidden
 * --query.dynamic-lookback-delta on, its default): at least the resolution of the coarsest
 * data the query may read, so that a 1h series still has a sample in every instant's lookback.
 */
export function dynamicLookbackDelta(lookbackMs: number, maxSourceResolutionMs: number): number {
  const lds: number[] = []
  let ld = lookbackMs
  for (const r of RESOLUTIONS) {
    if (lookbackMs < r) ld = r
    lds.push(ld)
  }
  for (let i = RESOLUTIONS.length - 1; i >= 1; i--) {
    if (Math.max(RESOLUTIONS[i - 1]!, lookbackMs) < maxSourceResolutionMs) return lds[i]!
  }
  return lds[0]!
}
