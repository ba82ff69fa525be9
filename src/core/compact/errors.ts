/**
 * The compactor's two error classes (thanos pkg/compact/compact.go HaltError, RetryError):
 * a HaltError is a problem a human must look at (overlapping blocks, a compaction that cannot be
 * written); with --wait the compactor stops working, keeps serving /metrics with
 * thanos_compact_halted 1 and waits to be investigated. A RetryError is transient (the bucket
 * failing): the iteration is given up and tried again at the next --wait-interval.
 */
import {ThanostsError} from '../errors.js'

export class HaltError extends ThanostsError {
  constructor(message: string, options?: {cause?: unknown}) {
    super('internal', message, options)
  }
}

export class RetryError extends ThanostsError {
  constructor(message: string, options?: {cause?: unknown}) {
    super('unavailable', message, options)
  }
}

export function isHaltError(e: unknown): e is HaltError {
  return e instanceof HaltError
}

/** As upstream's retry(): a halt stays a halt. */
export function retry(e: unknown, what: string): Error {
  if (e instanceof HaltError) return e
  return new RetryError(`${what}: ${e instanceof Error ? e.message : String(e)}`, {cause: e})
}

/** `what: cause` keeping the class (halt or retry), as errors.Wrapf keeps the cause. */
export function wrapKeepingClass(e: unknown, what: string): Error {
  const msg = `${what}: ${e instanceof Error ? e.message : String(e)}`
  if (e instanceof HaltError) return new HaltError(msg, {cause: e})
  if (e instanceof RetryError) return new RetryError(msg, {cause: e})
  return new Error(msg, {cause: e})
}
