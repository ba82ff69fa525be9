/**
 * The per-block text of `tools bucket ls -o` (thanos cmd/thanos/tools_bucket.go
 * registerBucketLs): '' the ULID; `wide` ULID, min/max time (whole seconds, RFC 3339, UTC
 * here; local time in Thanos), their difference, compaction level, resolution and source;
 * `json` the meta.json as Thanos re-marshals it (json.Encoder, tab indent: block/meta.ts
 * formatMeta writes exactly that). A Go template, Thanos's fourth form, is refused.
 */
import {formatMeta, type BlockMeta} from '../block/meta.js'
import {BadDataError} from '../errors.js'
import {goDurationMs, goRfc3339Utc, unixSeconds} from './go-text.js'

export const LS_OUTPUTS = ['', 'wide', 'json'] as const
export type LsOutput = (typeof LS_OUTPUTS)[number]

export function parseLsOutput(s: string): LsOutput {
  if ((LS_OUTPUTS as readonly string[]).includes(s)) return s as LsOutput
  throw new BadDataError(`unsupported output ${JSON.stringify(s)}: thanosts supports '' (ULIDs), 'wide' and 'json'; Go templates (thanos's custom -o) are not supported`)
}

export function lsPrinter(output: LsOutput): (m: BlockMeta) => string {
  switch (output) {
    case '':
      return (m) => m.ulid + '\n'
    case 'wide':
      return (m) => {
        const lo = unixSeconds(m.minTime)
        const hi = unixSeconds(m.maxTime)
        return `${m.ulid} -- ${goRfc3339Utc(lo)} - ${goRfc3339Utc(hi)} Diff: ${goDurationMs((hi - lo) * 1000)}, Compaction: ${m.compaction.level}, Downsample: ${m.thanos.downsample.resolution}, Source: ${m.thanos.source}\n`
      }
    case 'json':
      return formatMeta
  }
}
