/**
 * A bucket seen under a key prefix (Thanos objstore `prefixed_bucket.go`), for the bucket
 * config's `prefix:`: every key gets `prefix/` in front, listings have it taken off, so callers
 * see the prefix as the bucket root. Several tenants or clusters can share one bucket this way.
 */
import type {Bucket, BucketCallOptions, IterOptions, ObjectAttributes} from './bucket.js'

export class PrefixedBucket implements Bucket {
  readonly prefix: string

  /** `prefix` is trimmed of surrounding slashes, as upstream. */
  constructor(
    readonly inner: Bucket,
    prefix: string,
  ) {
    this.prefix = prefix.replace(/^\/+|\/+$/g, '')
    if (this.prefix === '') throw new Error('PrefixedBucket: empty prefix (use the bucket itself)')
  }

  get name(): string {
    return this.inner.name
  }

  private key(k: string): string {
    // An empty key stays empty, so the provider rejects it instead of reading `prefix/`.
    return k === '' ? k : `${this.prefix}/${k}`
  }

  async *iter(dir: string, opts?: IterOptions): AsyncIterable<string> {
    const root = `${this.prefix}/`
    for await (const k of this.inner.iter(root + dir, opts)) yield k.startsWith(root) ? k.slice(root.length) : k
  }

  get(key: string, opts?: BucketCallOptions): Promise<Buffer> {
    return this.inner.get(this.key(key), opts)
  }

  getRange(key: string, offset: number, length: number, opts?: BucketCallOptions): Promise<Buffer> {
    return this.inner.getRange(this.key(key), offset, length, opts)
  }

  exists(key: string, opts?: BucketCallOptions): Promise<boolean> {
    return this.inner.exists(this.key(key), opts)
  }

  attributes(key: string, opts?: BucketCallOptions): Promise<ObjectAttributes> {
    return this.inner.attributes(this.key(key), opts)
  }

  upload(key: string, body: Buffer | NodeJS.ReadableStream, opts?: BucketCallOptions & {size?: number}): Promise<void> {
    return this.inner.upload(this.key(key), body, opts)
  }

  delete(key: string, opts?: BucketCallOptions): Promise<void> {
    return this.inner.delete(this.key(key), opts)
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}

/** The bucket under `prefix`, or the bucket itself when the prefix is empty or only slashes (as upstream). */
export function withPrefix(bucket: Bucket, prefix: string): Bucket {
  return prefix.replace(/\//g, '') === '' ? bucket : new PrefixedBucket(bucket, prefix)
}
