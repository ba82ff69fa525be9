/**
 * The FILESYSTEM bucket (Thanos objstore `providers/filesystem`): a directory whose files are the
 * objects, for one machine (the demo, tests). Semantics as upstream: iter lists direct children
 * with directories suffixed by `/` and empty directories skipped; getRange clamps at the end;
 * upload creates parent directories (writing to a temp file renamed into place, so a reader never
 * sees half an object); delete removes empty parent directories up to the root.
 *
 * Unlike upstream (whose GetRange opens the file each call), ranged reads keep a bounded set of
 * files open (least recently used closed first, all on close()): the store gateway reads a
 * block's index and chunk segments by many small ranges, and open + fstat + close per range was
 * a tenth of its CPU. Objects read by range are immutable block files (Thanos never rewrites a
 * block's index or chunks; meta.json and markers are read whole, by get(), which always opens);
 * an upload or delete through this bucket drops the key's handle, so a replaced object is
 * reopened.
 */
import {close as closeFd, createReadStream, createWriteStream, fstat, open as openFd, read as readFd} from 'node:fs'
import {mkdir, open, readdir, readFile, rename, rm, rmdir, stat} from 'node:fs/promises'
import {promisify} from 'node:util'
import path from 'node:path'
import {pipeline} from 'node:stream/promises'
import {BadDataError} from '../errors.js'
import {compareKeys, ObjectNotFoundError, type Bucket, type BucketCallOptions, type IterOptions, type ObjectAttributes} from './bucket.js'

export interface FilesystemBucketConfig {
  directory: string
}

let tmpSeq = 0

// Plain descriptors, not FileHandles: a bucket dropped without close() (a test's) does not
// make Node warn about handles closed by GC; positional reads are pread(2) either way.
const openP = promisify(openFd)
const fstatP = promisify(fstat)
const readP = (fd: number, buf: Buffer, off: number, len: number, pos: number): Promise<number> =>
  new Promise((resolve, reject) => readFd(fd, buf, off, len, pos, (e, n) => (e ? reject(e) : resolve(n))))

/** Files kept open for ranged reads. */
const MAX_OPEN_FILES = 256

interface OpenFile {
  fh: Promise<{fd: number; size: number}>
  /** Reads in flight: an evicted file is closed when the last one ends. */
  users: number
  evicted: boolean
}

export class FilesystemBucket implements Bucket {
  readonly name = 'FILESYSTEM'
  private readonly root: string
  /** Insertion order = recency (a hit is moved to the end). */
  private readonly files = new Map<string, OpenFile>()

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
    const f = this.acquire(this.objectFile(key))
    try {
      let h
      try {
        h = await f.fh
      } catch (e) {
        throw notFoundOr(e, key)
      }
      const end = length < 0 ? h.size : Math.min(h.size, offset + length)
      const n = Math.max(0, end - offset)
      const buf = Buffer.allocUnsafe(n)
      let read = 0
      while (read < n) {
        const bytesRead = await readP(h.fd, buf, read, n - read, offset + read)
        if (bytesRead === 0) break
        read += bytesRead
      }
      return read === n ? buf : buf.subarray(0, read)
    } finally {
      this.release(f)
    }
  }

  /** The open file of `file`, opened (and its size read) on first use. */
  private acquire(file: string): OpenFile {
    let f = this.files.get(file)
    if (f) {
      this.files.delete(file)
      this.files.set(file, f)
    } else {
      const opened = openP(file, 'r').then(async (fd) => {
        try {
          return {fd, size: (await fstatP(fd)).size}
        } catch (e) {
          closeFd(fd, () => {})
          throw e
        }
      })
      f = {fh: opened, users: 0, evicted: false}
      // A failed open is not kept: the next read tries again (the object may appear).
      opened.catch(() => this.drop(file, f!))
      this.files.set(file, f)
      for (const [k, old] of this.files) {
        if (this.files.size <= MAX_OPEN_FILES) break
        this.drop(k, old)
      }
    }
    f.users++
    return f
  }

  private release(f: OpenFile): void {
    if (--f.users === 0 && f.evicted) closeOpenFile(f)
  }

  /** Forgets `file`'s handle, closing it once no read uses it. */
  private drop(file: string, f: OpenFile): void {
    if (this.files.get(file) === f) this.files.delete(file)
    if (f.evicted) return
    f.evicted = true
    if (f.users === 0) closeOpenFile(f)
  }

  private forget(file: string): void {
    const f = this.files.get(file)
    if (f) this.drop(file, f)
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
    this.forget(dest)
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
      // A read between forget() and the rename may have reopened the old file.
      this.forget(dest)
    } catch (e) {
      await rm(tmp, {force: true})
      throw e
    }
  }

  async delete(key: string, opts: BucketCallOptions = {}): Promise<void> {
    opts.signal?.throwIfAborted()
    const f = this.objectFile(key)
    // A directory key removes everything under it: drop those handles too.
    for (const [file, h] of this.files) if (file === f || file.startsWith(f + path.sep)) this.drop(file, h)
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

  async close(): Promise<void> {
    const all = [...this.files]
    for (const [file, f] of all) this.drop(file, f)
    await Promise.all(all.map(([, f]) => f.fh.then(() => undefined, () => undefined)))
  }
}

function closeOpenFile(f: OpenFile): void {
  f.fh.then(
    (h) => closeFd(h.fd, () => {}),
    () => {},
  )
}

function isEnoent(e: unknown): boolean {
  return (e as NodeJS.ErrnoException)?.code === 'ENOENT'
}

function notFoundOr(e: unknown, key: string): unknown {
  return isEnoent(e) || (e as NodeJS.ErrnoException)?.code === 'EISDIR' ? new ObjectNotFoundError(key) : e
}
