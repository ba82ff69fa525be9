/**
 * objstore/: object storage for blocks. This file is the contract every provider implements
 * (FILESYSTEM, S3), with the semantics of Thanos's `objstore.Bucket` (thanos-io/objstore
 * `objstore.go`), which the shipper, the store gateway and the compactor are written against:
 * - keys are `/`-separated paths relative to the bucket root (a configured `prefix` is applied by
 *   a wrapper, so callers never see it);
 * - iter(dir) lists the direct children of `dir`, sub-directories with a trailing `/`, sorted
 *   as S3 lists keys (by UTF-8 bytes, `compareKeys`, so `a.txt` comes before `a/`); `recursive`
 *   lists every object below `dir` instead, in the same order;
 * - getRange clamps at the end of the object (the store gateway asks past EOF with estimated
 *   sizes); `length` -1 reads to the end;
 * - a missing object is an `ObjectNotFoundError`, which callers test with `isNotFound`;
 * - every call takes an AbortSignal, so a query nobody waits for stops reading.
 */
import {ThanostsError} from '../errors.js'

export interface ObjectAttributes {
  size: number
  lastModified: Date
}

export interface BucketCallOptions {
  signal?: AbortSignal
}

export interface IterOptions extends BucketCallOptions {
  recursive?: boolean
}

export interface Bucket {
  /** Provider name as in the bucket config's `type` (`FILESYSTEM`, `S3`), for logs and metrics. */
  readonly name: string
  iter(dir: string, opts?: IterOptions): AsyncIterable<string>
  get(key: string, opts?: BucketCallOptions): Promise<Buffer>
  /** Bytes [offset, offset+length) clamped at the end; length -1 = to the end. */
  getRange(key: string, offset: number, length: number, opts?: BucketCallOptions): Promise<Buffer>
  exists(key: string, opts?: BucketCallOptions): Promise<boolean>
  attributes(key: string, opts?: BucketCallOptions): Promise<ObjectAttributes>
  /** Writes the whole object; `body` may be a stream for large files (chunk segments). */
  upload(key: string, body: Buffer | NodeJS.ReadableStream, opts?: BucketCallOptions & {size?: number}): Promise<void>
  /** Deleting a missing object is not an error. */
  delete(key: string, opts?: BucketCallOptions): Promise<void>
  close(): Promise<void>
}

/** A key that does not exist (S3 NoSuchKey, ENOENT). `bucket`, when given, names it in the message. */
export class ObjectNotFoundError extends ThanostsError {
  constructor(
    readonly key: string,
    bucket?: string,
  ) {
    super('not_found', `object not found: ${key}${bucket ? ` in bucket ${bucket}` : ''}`)
    this.name = 'ObjectNotFoundError'
  }
}

export function isNotFound(e: unknown): e is ObjectNotFoundError {
  return e instanceof ObjectNotFoundError
}

/**
 * The order of keys in listings: S3's (UTF-8 byte order, which is code point order). JavaScript's
 * `<` compares UTF-16 code units and differs for characters above U+FFFF.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!
    const y = b.codePointAt(i)!
    if (x !== y) return x < y ? -1 : 1
    if (x > 0xffff) i++
  }
  return a.length - b.length
}
