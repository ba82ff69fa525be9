/**
 * A buffered, append-mostly file for the block writers (prometheus/tsdb/index `FileWriter`):
 * bytes collect in a 1 MiB buffer and go to disk in large positional writes; `pos` is the
 * logical end of the file, what section offsets and series refs are computed from. `writeAt`
 * patches bytes already written (lengths known only after a section, as the index writer's
 * symbol table header). `close` fsyncs: a block is renamed into place only after its files are
 * durable, as Prometheus's compactor does.
 */
import {open, type FileHandle} from 'node:fs/promises'
import type {Encbuf} from './encbuf.js'

const BUFFER_SIZE = 1 << 20
const DONE = Promise.resolve()
const ZEROS = new Uint8Array(64)

export class FileWriter {
  pos = 0
  private flushed = 0
  private readonly buf = Buffer.allocUnsafe(BUFFER_SIZE)
  private used = 0
  private closed = false

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
  ) {}

  /** Creates (or truncates) `path`. */
  static async create(path: string): Promise<FileWriter> {
    return new FileWriter(path, await open(path, 'w', 0o644))
  }

  /** Appends `b`; resolves at once (no new promise) when it fits the buffer, the common case. */
  write(b: Uint8Array): Promise<void> {
    if (this.used + b.length <= BUFFER_SIZE) {
      this.buf.set(b, this.used)
      this.used += b.length
      this.pos += b.length
      return DONE
    }
    return this.writeSlow(b)
  }

  /** Appends an Encbuf's bytes, copied straight from it when they fit the buffer. */
  writeEnc(e: Encbuf): Promise<void> {
    if (this.used + e.len <= BUFFER_SIZE) {
      e.copyTo(this.buf, this.used)
      this.used += e.len
      this.pos += e.len
      return DONE
    }
    return this.writeSlow(e.bytes())
  }

  private async writeSlow(b: Uint8Array): Promise<void> {
    if (b.length >= BUFFER_SIZE) {
      await this.flush()
      await this.writeFully(b, this.flushed)
      this.flushed += b.length
      this.pos += b.length
      return
    }
    if (this.used + b.length > BUFFER_SIZE) await this.flush()
    this.buf.set(b, this.used)
    this.used += b.length
    this.pos += b.length
  }

  /** Zero bytes up to the next multiple of `align` (AddPadding). */
  pad(align: number): Promise<void> {
    const r = this.pos % align
    return r === 0 ? DONE : this.write(ZEROS.subarray(0, align - r))
  }

  /** Overwrites bytes at `at` (< pos): in the buffer if still there, else on disk. */
  async writeAt(b: Uint8Array, at: number): Promise<void> {
    if (at + b.length > this.pos) throw new RangeError(`writeAt ${at}+${b.length} past the end ${this.pos}`)
    if (at >= this.flushed) {
      this.buf.set(b, at - this.flushed)
      return
    }
    await this.flush()
    await this.writeFully(b, at)
  }

  async flush(): Promise<void> {
    if (this.used === 0) return
    await this.writeFully(this.buf.subarray(0, this.used), this.flushed)
    this.flushed += this.used
    this.used = 0
  }

  private async writeFully(b: Uint8Array, at: number): Promise<void> {
    let off = 0
    while (off < b.length) {
      const {bytesWritten} = await this.fh.write(b, off, b.length - off, at + off)
      off += bytesWritten
    }
  }

  /** Flushes, fsyncs and closes. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    try {
      await this.flush()
      await this.fh.sync()
    } finally {
      await this.fh.close()
    }
  }

  /** Closes without flushing (the file is being thrown away). */
  async abort(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.fh.close().catch(() => undefined)
  }
}
