/**
 * The retry policy of minio-go v7 (`retry.go`, `api.go` `executeMethod`), which Thanos's S3
 * provider relies on: `max_retries` is the number of attempts, 0 meaning minio-go's `MaxRetry`
 * of 10; between attempts a full-jitter exponential backoff, random in (0, min(1 s, 200 ms·2^i)];
 * retried are network errors, the HTTP statuses and the S3 error codes listed below. minio-js
 * retries only some statuses, once, and loses the status doing it, so the bucket disables its
 * retries and applies this policy around each request.
 */
import {setTimeout as sleep} from 'node:timers/promises'

/** minio-go `MaxRetry`. */
export const DEFAULT_ATTEMPTS = 10
const RETRY_UNIT_MS = 200
const RETRY_CAP_MS = 1000

/** minio-go `retryableHTTPStatusCodes`. */
const RETRYABLE_STATUS = new Set([408, 429, 499, 500, 502, 503, 504, 520])

/** minio-go `retryableS3Codes`. */
const RETRYABLE_CODES = new Set([
  'RequestError',
  'RequestTimeout',
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'InternalError',
  'ExpiredToken',
  'ExpiredTokenException',
  'SlowDown',
  'SlowDownWrite',
  'SlowDownRead',
])

/**
 * Socket and TLS errors minio-go does not retry (`isRequestErrorRetryable`): an unknown
 * certificate authority, and an HTTPS client talking to an HTTP server. Everything else is.
 */
const NOT_RETRYABLE_NET_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
])

export function attemptsFor(maxRetries: number): number {
  return maxRetries > 0 ? maxRetries : DEFAULT_ATTEMPTS
}

export function isRetryableStatus(status: number, code: string): boolean {
  return RETRYABLE_STATUS.has(status) || RETRYABLE_CODES.has(code)
}

export function isRetryableNetworkError(e: unknown): boolean {
  const code = (e as {code?: unknown})?.code
  return !(typeof code === 'string' && NOT_RETRYABLE_NET_CODES.has(code))
}

export function isCertificateError(e: unknown): boolean {
  const code = (e as {code?: unknown})?.code
  return typeof code === 'string' && NOT_RETRYABLE_NET_CODES.has(code) && code !== 'EPROTO'
}

/** Waits the backoff before attempt `attempt + 1`; rejects with the signal's reason if aborted. */
export async function backoff(attempt: number, signal: AbortSignal | undefined): Promise<void> {
  const cap = Math.min(RETRY_CAP_MS, RETRY_UNIT_MS * 2 ** Math.min(attempt, 30))
  const ms = cap - Math.random() * cap
  try {
    await sleep(ms, undefined, {signal})
  } catch (e) {
    if (signal?.aborted) throw signal.reason
    throw e
  }
}
