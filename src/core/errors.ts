/**
 * Typed errors shared by all of core. Each carries a `kind` that is mapped once at each edge:
 * to Prometheus API `errorType` + HTTP status (api/), to gRPC status codes (store/, server/),
 * and to exit codes (commands/).
 */

export type ErrorKind =
  | 'bad_data' // invalid input: parse errors, bad params, bad regex
  | 'execution' // query evaluation failed (e.g. many-to-many matching)
  | 'timeout'
  | 'canceled'
  | 'unavailable' // a dependency (Prometheus, a store) cannot be reached
  | 'not_found'
  | 'resource_exhausted' // a per-request limit was exceeded (series, samples)
  | 'internal'

export class ThanostsError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: {cause?: unknown},
  ) {
    super(message, options)
    this.name = new.target.name
  }
}

export class BadDataError extends ThanostsError {
  constructor(message: string, options?: {cause?: unknown}) {
    super('bad_data', message, options)
  }
}

export class InvalidRegexError extends BadDataError {
  constructor(
    readonly regex: string,
    reason: string,
  ) {
    super(`error parsing regexp: ${reason}: \`${regex}\``)
  }
}

export class ExecutionError extends ThanostsError {
  constructor(message: string, options?: {cause?: unknown}) {
    super('execution', message, options)
  }
}

export class TimeoutError extends ThanostsError {
  constructor(message = 'query timed out', options?: {cause?: unknown}) {
    super('timeout', message, options)
  }
}

export class CanceledError extends ThanostsError {
  constructor(message = 'query was canceled', options?: {cause?: unknown}) {
    super('canceled', message, options)
  }
}

export class UnavailableError extends ThanostsError {
  constructor(message: string, options?: {cause?: unknown}) {
    super('unavailable', message, options)
  }
}

/** A per-request limit of a store was exceeded (Thanos: gRPC ResourceExhausted). */
export class ResourceExhaustedError extends ThanostsError {
  constructor(message: string, options?: {cause?: unknown}) {
    super('resource_exhausted', message, options)
  }
}

export function errorKind(e: unknown): ErrorKind {
  return e instanceof ThanostsError ? e.kind : 'internal'
}

/** Prometheus API v1: errorType and HTTP status per kind (web/api/v1/api.go). */
export const HTTP_STATUS: Record<ErrorKind, number> = {
  bad_data: 400,
  execution: 422,
  timeout: 503,
  canceled: 499,
  unavailable: 503,
  not_found: 404,
  resource_exhausted: 422,
  internal: 500,
}

/** gRPC status codes (numeric, as @grpc/grpc-js `status`). */
export const GRPC_CODE: Record<ErrorKind, number> = {
  bad_data: 3, // INVALID_ARGUMENT
  execution: 2, // UNKNOWN
  timeout: 4, // DEADLINE_EXCEEDED
  canceled: 1, // CANCELLED
  unavailable: 14, // UNAVAILABLE
  not_found: 5, // NOT_FOUND
  resource_exhausted: 8, // RESOURCE_EXHAUSTED
  internal: 13, // INTERNAL
}
