/**
 * The FILESYSTEM bucket (Thanos objstore `providers/filesystem`): a directory whose files are the
 * objects, for one machine (the demo, tests). Semantics as upstream: iter lists direct children
 * with directories suffixed by `/` and empty directories skipped; getRange clamps at the end;
 * upload creates parent directories (writing to a temp file renamed into place, so a reader never
 * sees half an object); delete removes empty parent directories up to the root.
 */
import {createReadStream, createWriteStream} from 'node:fs'
import {mkdir, open, readdir, readFile, rename, rm, rmdir, stat} from 'node:fs/promises'
import path from 'node:path'
import {pipeline} from 'node:stream/promises'
import {BadDataError} from '../errors.js'
import {compareKeys, ObjectNotFoundError, type Bucket, type BucketCallOptions, type IterOptions, type ObjectAttributes} from './bucket.js'

export interface FilesystemBucketConfig {
  directory: string
}

let tmpSeq = 0

export class FilesystemBucket implements Bucket {
  readonly name = 'FILESYSTEM'
  private readonly root: string

  constructor(cfg: FilesystemBucketConfig) {
    if (!cfg.directory) throw new BadDataError('FILESYSTEM bucket: missing directory')
    this.root = path.resolve(cfg.directory)
  }

  /** The file of an object: the key must name one (an empty key would be the root itself). */
  private objectFile(key: string): string {
    if (key === '') throw new BadDataError('object name is empty')
    return this.file(key)
  }

  /** The file of a key; keys may not climb out of the root. */
  private file(key: string): string {
    const p = path.resolve(this.root, key)
    if (p !== this.root && !p.startsWith(this.root + path.sep)) throw new BadDataError(`object key outside the bucket: ${key}`)
    return p
  }

  async *iter(dir: string, opts: IterOptions = {}): AsyncIterable<string> {
    const base = dir.replace(/\/+$/, '')
    yield* this.walk(base, opts.recursive === true, opts.signal)
  }

  private async *walk(dir: string, recursive: boolean, signal: AbortSignal | undefined): AsyncIterable<string> {
    signal?.throwIfAborted()
    let entries
    try {
      entries = await readdir(this.file(dir), {withFileTypes: true})
    } catch (e) {
      if (isEnoent(e) || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return
      throw e
    }
    // Sorted as the listed keys (a directory as `name/`), so the order is S3's: `a.txt` before
    // `a/`, and a recursive walk comes out in key order too.
    const names = entries.map((e) => ({name: e.name, dir: e.isDirectory()})).sort((a, b) => compareKeys(a.dir ? `${a.name}/` : a.name, b.dir ? `${b.name}/` : b.name))
    for (const e of names) {
      if (e.name.includes('.tmp-upload-')) continue
      const key = dir ? `${dir}/${e.name}` : e.name
      if (!e.dir) {
        yield key
        continue
      }
      if (recursive) {
        yield* this.walk(key, true, signal)
      } else if (await this.hasFiles(key)) {
        yield `${key}/`
      }
    }
  }

  private async hasFiles(dir: string): Promise<boolean> {
    for await (const _ of this.walk(dir, true, undefined)) return true
    return false
  }

  async get(key: string, opts: BucketCallOptions = {}): Promise<Buffer> {
    opts.signal?.throwIfAborted()
    try {
      return await readFile(this.objectFile(key), {signal: opts.signal})
    } catch (e) {
      throw notFoundOr(e, key)
    }
  }

  async getRange(key: string, offset: number, length: number, opts: BucketCallOptions = {}): Promise<Buffer> {
    opts.signal?.throwIfAborted()
    if (offset < 0) throw new BadDataError(`negative offset ${offset} reading ${key}`)
    let fh
    try {
      fh = await open(this.objectFile(key), 'r')
    } catch (e) {
      throw notFoundOr(e, key)
    }
    try {
      const size = (await fh.stat()).size
      const end = length < 0 ? size : Math.min(size, offset + length)
      const n = Math.max(0, end - offset)
      const buf = Buffer.allocUnsafe(n)
      let read = 0
      while (read < n) {
        const {bytesRead} = await fh.read(buf, read, n - read, offset + read)
        if (bytesRead === 0) break
        read += bytesRead
      }
      return read === n ? buf : buf.subarray(0, read)
    } finally {
      await fh.close()
    }
  }

  async exists(key: string, opts: BucketCallOptions = {}): Promise<boolean> {
    opts.signal?.throwIfAborted()
    try {
      return (await stat(this.objectFile(key))).isFile()
    } catch (e) {
      if (isEnoent(e)) return false
      throw e
    }
  }

  async attributes(key: string, opts: BucketCallOptions = {}): Promise<ObjectAttributes> {
    opts.signal?.throwIfAborted()
    try {
      const s = await stat(this.objectFile(key))
      if (!s.isFile()) throw new ObjectNotFoundError(key)
      return {size: s.size, lastModified: s.mtime}
    } catch (e) {
      throw notFoundOr(e, key)
    }
  }

  async upload(key: string, body: Buffer | NodeJS.ReadableStream, opts: BucketCallOptions = {}): Promise<void> {
    opts.signal?.throwIfAborted()
    const dest = this.objectFile(key)
    await mkdir(path.dirname(dest), {recursive: true})
    const tmp = `${dest}.tmp-upload-${process.pid}-${++tmpSeq}`
    try {
      if (Buffer.isBuffer(body)) {
        const fh = await open(tmp, 'w')
        try {
          await fh.writeFile(body)
        } finally {
          await fh.close()
        }
      } else {
        await pipeline(body, createWriteStream(tmp), {signal: opts.signal})
      }
      await rename(tmp, dest)
    } catch (e) {
      await rm(tmp, {force: true})
      throw e
    }
  }

  async delete(key: string, opts: BucketCallOptions = {}): Promise<void> {
    opts.signal?.throwIfAborted()
    const f = this.objectFile(key)
    await rm(f, {force: true, recursive: true})
    // Remove parents left empty, as upstream, so iter does not list dead directories.
    for (let d = path.dirname(f); d.startsWith(this.root + path.sep); d = path.dirname(d)) {
      try {
        await rmdir(d)
      } catch {
        break
      }
    }
  }

  /** A readable stream of one object (large downloads: the compactor's inputs). */
  stream(key: string): NodeJS.ReadableStream {
    return createReadStream(this.objectFile(key))
  }

  async close(): Promise<void> {}
}

function isEnoent(e: unknown): boolean {
  return (e as NodeJS.ErrnoException)?.code === 'ENOENT'
}

function notFoundOr(e: unknown, key: string): unknown {
  return isEnoent(e) || (e as NodeJS.ErrnoException)?.code === 'EISDIR' ? new ObjectNotFoundError(key) : e
}
