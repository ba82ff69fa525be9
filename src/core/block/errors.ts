/**
 * Errors of the block readers. Every corruption names the block, the file inside it and the
 * byte offset, so an operator can find the bad object in the bucket (Thanos logs the block ID
 * and file the same way when an index-header or a chunk cannot be read).
 */
import {BadDataError, ThanostsError} from '../errors.js'

/** Bytes in a block file that do not decode: bad magic, CRC mismatch, truncated or impossible lengths. */
export class BlockCorruptionError extends BadDataError {
  constructor(
    readonly block: string,
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`block ${block}: ${file} at offset ${offset}: ${reason}`)
  }
}

/** A block file in a format this reader refuses on purpose (index v3, meta version 2, ...). */
export class UnsupportedBlockFormatError extends BadDataError {
  constructor(
    readonly block: string,
    readonly file: string,
    reason: string,
  ) {
    super(`block ${block}: ${file}: ${reason}`)
  }
}

/** A block without meta.json (never uploaded, partial upload, or deleted). */
export class BlockNotFoundError extends ThanostsError {
  constructor(
    readonly block: string,
    options?: {cause?: unknown},
  ) {
    super('not_found', `block ${block}: meta.json not found`, options)
  }
}
