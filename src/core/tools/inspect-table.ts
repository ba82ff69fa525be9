/**
 * The table of `tools bucket inspect` (thanos cmd/thanos/tools_bucket.go printBlockData,
 * printTable/printTSV/printCSV, Table.Less/compare): one row of text per block, sorted on the
 * text of the --sort-by columns, printed as a tablewriter table (drawn here with cli-table3 in
 * the same layout: side borders, a `|---|` rule under the centred header, left-aligned cells),
 * TSV or CSV. `json` is a thanosts extension (Thanos has none for inspect).
 *
 * Times are printed in UTC. Thanos formats time.Unix(...) in the process's local zone, so
 * its output equals ours where TZ is UTC (containers usually); elsewhere only the zone differs.
 */
import Table from 'cli-table3'
import {RESOLUTION_1H, RESOLUTION_5M, RESOLUTION_RAW, type BlockMeta} from '../block/meta.js'
import {BadDataError} from '../errors.js'
import {goCsvRecord} from './go-csv.js'
import {goDurationMs, goEnglishInt, goRfc3339Utc, parseGoDuration, parseGoRfc3339, parseGoUint, unixSeconds} from './go-text.js'
import {compareStrings} from '../labels/labels.js'

export const INSPECT_COLUMNS = ['ULID', 'FROM', 'UNTIL', 'RANGE', 'UNTIL-DOWN', '#SERIES', '#SAMPLES', '#CHUNKS', 'COMP-LEVEL', 'COMP-FAILED', 'LABELS', 'RESOLUTION', 'SOURCE'] as const
export type InspectColumn = (typeof INSPECT_COLUMNS)[number]

export const INSPECT_OUTPUTS = ['table', 'tsv', 'csv', 'json'] as const
export type InspectOutput = (typeof INSPECT_OUTPUTS)[number]

/** Block ranges after which the compactor downsamples (pkg/compact/downsample: 40h to 5m, 10d to 1h). */
const DOWNSAMPLE_RANGE_5M_MS = 40 * 3_600_000
const DOWNSAMPLE_RANGE_1H_MS = 10 * 24 * 3_600_000

/**
 * compact.UntilNextDownsampling: how much longer the block's range must grow before the next
 * downsampling; undefined for 1h blocks (never downsampled further) and for resolutions Thanos
 * does not know (where Thanos panics, we print `-`).
 */
export function untilNextDownsamplingMs(m: BlockMeta): number | undefined {
  const range = m.maxTime - m.minTime
  switch (m.thanos.downsample.resolution) {
    case RESOLUTION_RAW:
      return DOWNSAMPLE_RANGE_5M_MS - range
    case RESOLUTION_5M:
      return DOWNSAMPLE_RANGE_1H_MS - range
    case RESOLUTION_1H:
    default:
      return undefined
  }
}

export function sortedLabelKeys(labels: Record<string, string>): string[] {
  return Object.keys(labels).sort(compareStrings)
}

/** A block's row, each cell as Thanos prints it. */
export function inspectRow(m: BlockMeta): string[] {
  const until = untilNextDownsamplingMs(m)
  return [
    m.ulid,
    goRfc3339Utc(unixSeconds(m.minTime)),
    goRfc3339Utc(unixSeconds(m.maxTime)),
    goDurationMs(m.maxTime - m.minTime),
    until === undefined ? '-' : goDurationMs(until),
    goEnglishInt(m.stats.numSeries ?? 0),
    goEnglishInt(m.stats.numSamples ?? 0),
    goEnglishInt(m.stats.numChunks ?? 0),
    goEnglishInt(m.compaction.level),
    m.compaction.failed ? 'true' : 'false',
    sortedLabelKeys(m.thanos.labels)
      .map((k) => `${k}=${m.thanos.labels[k]}`)
      .join(','),
    goDurationMs(m.thanos.downsample.resolution),
    m.thanos.source,
  ]
}

/**
 * Table.Less's compare: both cells as RFC 3339 times, else both as durations, else both as
 * integers (digit-group commas removed), else as strings.
 */
export function compareCells(a: string, b: string): number {
  const pairs: Array<(s: string) => bigint | undefined> = [parseGoRfc3339, parseGoDuration, (s) => parseGoUint(s.replaceAll(',', ''))]
  for (const parse of pairs) {
    const x = parse(a)
    const y = parse(b)
    if (x !== undefined && y !== undefined) return x < y ? -1 : x > y ? 1 : 0
  }
  return compareStrings(a, b)
}

/** Rows in Thanos's order: the sort columns in turn, then the ULID. */
export function sortRows(rows: string[][], sortBy: readonly InspectColumn[]): string[][] {
  const idx = sortBy.map((c) => {
    const i = INSPECT_COLUMNS.indexOf(c)
    if (i < 0) throw new BadDataError(`column ${c} not found`)
    return i
  })
  return [...rows].sort((r, s) => {
    for (const i of idx) {
      if (r[i] === s[i]) continue
      return compareCells(r[i]!, s[i]!)
    }
    return compareCells(r[0]!, s[0]!)
  })
}

/** tablewriter's table as Thanos configures it (printTable). */
export function formatTable(rows: readonly string[][]): string {
  const t = new Table({
    // cli-table3 takes cell objects in `head` as in any row (its typings say strings only).
    head: INSPECT_COLUMNS.map((c) => ({content: c, hAlign: 'center'})) as unknown as string[],
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '|',
      'left-mid': '|',
      mid: '-',
      'mid-mid': '|',
      right: '|',
      'right-mid': '|',
      middle: '|',
    },
    // compact: the rule only under the header, none between rows (tablewriter's default).
    style: {head: [], border: [], compact: true, 'padding-left': 1, 'padding-right': 1},
  })
  for (const r of rows) t.push(r)
  let out = t.toString()
  // With no rows cli-table3 draws no rule under the header; tablewriter always does.
  if (rows.length === 0) {
    const header = out.split('\n')[0]!
    out += '\n' + header.replace(/[^|]/g, '-')
  }
  return out + '\n'
}

function formatSeparated(rows: readonly string[][], comma: string): string {
  return [INSPECT_COLUMNS, ...rows].map((r) => goCsvRecord(r, comma)).join('')
}

/** The json extension: one object per block, in the table's order, values typed. */
export function inspectJson(metas: readonly BlockMeta[]): string {
  const list = metas.map((m) => {
    const until = untilNextDownsamplingMs(m)
    return {
      ulid: m.ulid,
      minTime: m.minTime,
      maxTime: m.maxTime,
      from: goRfc3339Utc(unixSeconds(m.minTime)),
      until: goRfc3339Utc(unixSeconds(m.maxTime)),
      range: goDurationMs(m.maxTime - m.minTime),
      untilDown: until === undefined ? null : goDurationMs(until),
      series: m.stats.numSeries ?? 0,
      samples: m.stats.numSamples ?? 0,
      chunks: m.stats.numChunks ?? 0,
      compactionLevel: m.compaction.level,
      compactionFailed: m.compaction.failed === true,
      labels: Object.fromEntries(sortedLabelKeys(m.thanos.labels).map((k) => [k, m.thanos.labels[k]!])),
      resolution: goDurationMs(m.thanos.downsample.resolution),
      source: m.thanos.source,
    }
  })
  return JSON.stringify(list, null, 2) + '\n'
}

/** The blocks of `metas` (already selected) as `output` prints them, sorted by `sortBy`. */
export function formatInspect(metas: readonly BlockMeta[], sortBy: readonly InspectColumn[], output: InspectOutput): string {
  const byUlid = new Map(metas.map((m) => [m.ulid, m]))
  const rows = sortRows(
    metas.map((m) => inspectRow(m)),
    sortBy,
  )
  switch (output) {
    case 'table':
      return formatTable(rows)
    case 'tsv':
      return formatSeparated(rows, '\t')
    case 'csv':
      return formatSeparated(rows, ',')
    case 'json':
      return inspectJson(rows.map((r) => byUlid.get(r[0]!)!))
  }
}
