/**
 * Marker files next to a block's meta.json (thanos-io/thanos pkg/block/metadata/markers.go):
 * deletion-mark.json (the compactor deletes the block after --delete-delay; the store gateway
 * stops serving it after --ignore-deletion-marks-delay), no-compact-mark.json and
 * no-downsample-mark.json. Thanos writes them with json.Marshal (compact, no newline) and
 * accepts only version 1.
 */
import type {Bucket, BucketCallOptions} from '../objstore/bucket.js'
import {isNotFound} from '../objstore/bucket.js'
import {BlockCorruptionError, UnsupportedBlockFormatError} from './errors.js'
import {goJson, GoStruct, type GoJsonValue} from './go-json.js'
import {isUlid} from './ulid.js'

export const DELETION_MARK_FILENAME = 'deletion-mark.json'
export const NO_COMPACT_MARK_FILENAME = 'no-compact-mark.json'
export const NO_DOWNSAMPLE_MARK_FILENAME = 'no-downsample-mark.json'
export const MARKER_VERSION_1 = 1

export interface DeletionMark {
  id: string
  version: number
  details?: string
  /** Unix seconds. */
  deletion_time: number
}

export type NoCompactReason = 'manual' | 'index-size-exceeding' | 'block-index-out-of-order-chunk' | 'downsample-vertical-compaction' | (string & {})

export interface NoCompactMark {
  id: string
  version: number
  details?: string
  /** Unix seconds. */
  no_compact_time: number
  reason: NoCompactReason
}

export interface NoDownsampleMark {
  id: string
  version: number
  details?: string
  /** Unix seconds. */
  no_downsample_time: number
  reason: string
}

interface MarkerKinds {
  [DELETION_MARK_FILENAME]: DeletionMark
  [NO_COMPACT_MARK_FILENAME]: NoCompactMark
  [NO_DOWNSAMPLE_MARK_FILENAME]: NoDownsampleMark
}

export type MarkerFilename = keyof MarkerKinds

/** Field after id/version/details, as the Go structs declare them. */
const TIME_FIELD: Record<MarkerFilename, string> = {
  [DELETION_MARK_FILENAME]: 'deletion_time',
  [NO_COMPACT_MARK_FILENAME]: 'no_compact_time',
  [NO_DOWNSAMPLE_MARK_FILENAME]: 'no_downsample_time',
}

export function formatMarker<F extends MarkerFilename>(file: F, m: MarkerKinds[F]): string {
  const r = m as unknown as Record<string, GoJsonValue>
  const fields: [string, GoJsonValue][] = [
    ['id', m.id],
    ['version', m.version],
  ]
  if (m.details) fields.push(['details', m.details])
  fields.push([TIME_FIELD[file], r[TIME_FIELD[file]] ?? 0])
  if (file !== DELETION_MARK_FILENAME) fields.push(['reason', r.reason ?? ''])
  return goJson(new GoStruct(fields))
}

export function parseMarker<F extends MarkerFilename>(file: F, text: string | Uint8Array, block: string): MarkerKinds[F] {
  const name = `${file}`
  let raw: unknown
  try {
    raw = JSON.parse(typeof text === 'string' ? text : Buffer.from(text).toString('utf8'))
  } catch (e) {
    // A marker may be half uploaded (Thanos: ErrorUnmarshalMarker).
    throw new BlockCorruptionError(block, name, 0, `unmarshal marker JSON: ${(e as Error).message}`)
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new BlockCorruptionError(block, name, 0, 'marker is not a JSON object')
  const r = raw as Record<string, unknown>
  if (r.version !== MARKER_VERSION_1) throw new UnsupportedBlockFormatError(block, name, `unexpected ${file.replace('.json', '')} file version ${JSON.stringify(r.version)}, expected 1`)
  if (typeof r.id !== 'string' || !isUlid(r.id)) throw new BlockCorruptionError(block, name, 0, `invalid id ${JSON.stringify(r.id)}`)
  const t = r[TIME_FIELD[file]] ?? 0
  if (typeof t !== 'number' || !Number.isSafeInteger(t)) throw new BlockCorruptionError(block, name, 0, `${TIME_FIELD[file]} is not an integer`)
  const out: Record<string, unknown> = {id: r.id.toUpperCase(), version: 1, [TIME_FIELD[file]]: t}
  if (typeof r.details === 'string' && r.details !== '') out.details = r.details
  if (file !== DELETION_MARK_FILENAME) out.reason = typeof r.reason === 'string' ? r.reason : ''
  return out as unknown as MarkerKinds[F]
}

/** Reads `<block>/<file>`; undefined when the block has no such marker (the usual case). */
export async function readMarker<F extends MarkerFilename>(bucket: Bucket, block: string, file: F, opts: BucketCallOptions = {}): Promise<MarkerKinds[F] | undefined> {
  let buf: Buffer
  try {
    buf = await bucket.get(`${block}/${file}`, opts)
  } catch (e) {
    if (isNotFound(e)) return undefined
    throw e
  }
  return parseMarker(file, buf, block)
}

export async function writeMarker<F extends MarkerFilename>(bucket: Bucket, file: F, m: MarkerKinds[F], opts: BucketCallOptions = {}): Promise<void> {
  await bucket.upload(`${m.id}/${file}`, Buffer.from(formatMarker(file, m)), opts)
}
