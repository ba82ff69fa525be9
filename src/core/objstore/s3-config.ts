/**
 * The `config:` section of an S3 bucket: every key of Thanos's S3 provider (thanos-io/objstore
 * `providers/s3/s3.go` `Config`, `DefaultConfig`; `exthttp/transport.go` `HTTPConfig`,
 * `exthttp/tlsconfig.go` `TLSConfig`), with its defaults and its validation messages. Keys that
 * thanosts parses but cannot honour (AWS SDK auth, STS, server-side encryption, SigV2) are errors
 * when set, never silently ignored.
 */
import {StrictMap} from '../config/strict-yaml.js'

export type BucketLookupType = 'auto' | 'virtual-hosted' | 'path'

export interface S3TlsConfig {
  caFile: string
  certFile: string
  keyFile: string
  serverName: string
  insecureSkipVerify: boolean
}

export interface S3HttpConfig {
  idleConnTimeoutMs: number
  responseHeaderTimeoutMs: number
  insecureSkipVerify: boolean
  tlsHandshakeTimeoutMs: number
  expectContinueTimeoutMs: number
  maxIdleConns: number
  maxIdleConnsPerHost: number
  maxConnsPerHost: number
  tlsConfig: S3TlsConfig
  disableCompression: boolean
}

export interface S3BucketConfig {
  bucket: string
  /** host[:port], no scheme. */
  endpoint: string
  region: string
  disableDualstack: boolean
  accessKey: string
  secretKey: string
  sessionToken: string
  insecure: boolean
  putUserMetadata: Record<string, string>
  http: S3HttpConfig
  traceEnable: boolean
  /** '' (= v2) | 'v1' | 'v2' */
  listObjectsVersion: '' | 'v1' | 'v2'
  bucketLookupType: BucketLookupType
  sendContentMd5: boolean
  disableMultipart: boolean
  partSize: number
  maxRetries: number
}

/** exthttp.DefaultHTTPConfig. */
const DEFAULT_HTTP = {
  idleConnTimeoutMs: 90_000,
  responseHeaderTimeoutMs: 120_000,
  tlsHandshakeTimeoutMs: 10_000,
  expectContinueTimeoutMs: 1_000,
  maxIdleConns: 100,
  maxIdleConnsPerHost: 100,
  maxConnsPerHost: 0,
}

/** s3.DefaultConfig.PartSize: 64 MiB. */
export const DEFAULT_PART_SIZE = 64 * 1024 * 1024
/** The S3 limits on parts (AWS "Amazon S3 multipart upload limits"). */
export const MIN_PART_SIZE = 5 * 1024 * 1024
export const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024

const S3_KEYS = [
  'bucket',
  'endpoint',
  'region',
  'disable_dualstack',
  'aws_sdk_auth',
  'access_key',
  'insecure',
  'signature_version2',
  'secret_key',
  'session_token',
  'put_user_metadata',
  'http_config',
  'trace',
  'list_objects_version',
  'bucket_lookup_type',
  'send_content_md5',
  'disable_multipart',
  'part_size',
  'sse_config',
  'sts_endpoint',
  'max_retries',
] as const
const HTTP_KEYS = [
  'idle_conn_timeout',
  'response_header_timeout',
  'insecure_skip_verify',
  'tls_handshake_timeout',
  'expect_continue_timeout',
  'max_idle_conns',
  'max_idle_conns_per_host',
  'max_conns_per_host',
  'tls_config',
  'disable_compression',
] as const
const TLS_KEYS = ['ca_file', 'cert_file', 'key_file', 'server_name', 'insecure_skip_verify'] as const
const SSE_KEYS = ['type', 'kms_key_id', 'kms_encryption_context', 'encryption_key'] as const

/** Decodes and validates `config:` of an S3 bucket (`m` is that mapping). */
export function parseS3Config(m: StrictMap): S3BucketConfig {
  const unsupported = (key: string, why: string): Error => m.error(m.keyPath(key), `${why} is not supported by thanosts`)

  const cfg: S3BucketConfig = {
    bucket: m.str('bucket'),
    endpoint: m.str('endpoint'),
    region: m.str('region'),
    disableDualstack: m.bool('disable_dualstack'),
    accessKey: m.str('access_key'),
    secretKey: m.str('secret_key'),
    sessionToken: m.str('session_token'),
    insecure: m.bool('insecure'),
    putUserMetadata: m.stringMap('put_user_metadata'),
    http: parseHttpConfig(m),
    traceEnable: false,
    listObjectsVersion: '',
    bucketLookupType: 'auto',
    sendContentMd5: m.bool('send_content_md5', true),
    disableMultipart: m.bool('disable_multipart'),
    partSize: m.int('part_size', DEFAULT_PART_SIZE),
    maxRetries: m.int('max_retries'),
  }
  if (m.bool('aws_sdk_auth')) throw unsupported('aws_sdk_auth', 'the AWS SDK credential chain (aws_sdk_auth: true)')
  if (m.bool('signature_version2')) throw unsupported('signature_version2', 'AWS signature version 2 (signature_version2: true; the S3 client signs with SigV4)')
  if (m.str('sts_endpoint')) throw unsupported('sts_endpoint', 'STS (IAM role) credentials')

  const trace = m.map('trace')
  cfg.traceEnable = trace.bool('enable')
  trace.done(['enable'])

  const sse = m.map('sse_config')
  const sseType = sse.str('type')
  const sseSet = [sse.str('kms_key_id'), sse.str('encryption_key')].some((v) => v !== '') || Object.keys(sse.stringMap('kms_encryption_context')).length > 0
  sse.done(SSE_KEYS)
  if (sseType !== '') {
    if (!['SSE-S3', 'SSE-KMS', 'SSE-C'].includes(sseType)) {
      throw m.error(sse.keyPath('type'), `unsupported type "${sseType}" (Thanos supports SSE-S3, SSE-KMS, SSE-C)`)
    }
    throw m.error(sse.keyPath('type'), `server-side encryption (${sseType}) is not supported by thanosts`)
  }
  if (sseSet) throw m.error(sse.path, 'server-side encryption keys are set but sse_config.type is empty; server-side encryption is not supported by thanosts')

  const lov = m.str('list_objects_version')
  if (lov !== '' && lov !== 'v1' && lov !== 'v2') {
    throw m.error(m.keyPath('list_objects_version'), `unsupported version "${lov}" (supported values are v1, v2)`)
  }
  cfg.listObjectsVersion = lov

  const blt = m.str('bucket_lookup_type', 'auto')
  if (blt !== 'auto' && blt !== 'virtual-hosted' && blt !== 'path') {
    throw m.error(m.keyPath('bucket_lookup_type'), `unsupported bucket lookup type: ${blt} (auto, virtual-hosted, path)`)
  }
  cfg.bucketLookupType = blt
  m.done(S3_KEYS)

  validate(cfg, m)
  return cfg
}

function parseHttpConfig(parent: StrictMap): S3HttpConfig {
  // yaml.v2 decodes into the defaults, so absent keys keep them; but an explicit
  // `http_config:` with no value zeroes the whole struct (no timeouts), as in Thanos.
  const d = parent.isNull('http_config') ? zeroes(DEFAULT_HTTP) : DEFAULT_HTTP
  const h = parent.map('http_config')
  const tls = h.map('tls_config')
  const cfg: S3HttpConfig = {
    idleConnTimeoutMs: h.durationMs('idle_conn_timeout', d.idleConnTimeoutMs),
    responseHeaderTimeoutMs: h.durationMs('response_header_timeout', d.responseHeaderTimeoutMs),
    insecureSkipVerify: h.bool('insecure_skip_verify'),
    tlsHandshakeTimeoutMs: h.durationMs('tls_handshake_timeout', d.tlsHandshakeTimeoutMs),
    expectContinueTimeoutMs: h.durationMs('expect_continue_timeout', d.expectContinueTimeoutMs),
    maxIdleConns: h.int('max_idle_conns', d.maxIdleConns),
    maxIdleConnsPerHost: h.int('max_idle_conns_per_host', d.maxIdleConnsPerHost),
    maxConnsPerHost: h.int('max_conns_per_host', d.maxConnsPerHost),
    tlsConfig: {
      caFile: tls.str('ca_file'),
      certFile: tls.str('cert_file'),
      keyFile: tls.str('key_file'),
      serverName: tls.str('server_name'),
      insecureSkipVerify: tls.bool('insecure_skip_verify'),
    },
    disableCompression: h.bool('disable_compression'),
  }
  tls.done(TLS_KEYS)
  h.done(HTTP_KEYS)
  return cfg
}

function zeroes<T extends Record<string, number>>(o: T): T {
  return Object.fromEntries(Object.keys(o).map((k) => [k, 0])) as T
}

/** s3.go `validate`, plus what minio-go would only report on the first request. */
function validate(cfg: S3BucketConfig, m: StrictMap): void {
  const fail = (key: string, msg: string): Error => m.error(m.keyPath(key), msg)
  if (cfg.endpoint === '') throw fail('endpoint', 'no s3 endpoint in config file')
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(cfg.endpoint) || cfg.endpoint.includes('/')) {
    throw fail('endpoint', `must be host or host:port without a scheme or path (got "${cfg.endpoint}"; set insecure: true for http)`)
  }
  if (cfg.bucket === '') throw fail('bucket', 'no s3 bucket in config file')
  if (cfg.accessKey === '' && cfg.secretKey !== '') {
    throw fail('access_key', 'no s3 access_key specified while secret_key is present in config file; either both should be present in config or envvars/IAM should be used.')
  }
  if (cfg.accessKey !== '' && cfg.secretKey === '') {
    throw fail('secret_key', 'no s3 secret_key specified while access_key is present in config file; either both should be present in config or envvars/IAM should be used.')
  }
  if (cfg.partSize < MIN_PART_SIZE || cfg.partSize > MAX_PART_SIZE) {
    throw fail('part_size', `${cfg.partSize} is outside the S3 part size limits [5 MiB, 5 GiB]`)
  }
  if (cfg.maxRetries < 0) throw fail('max_retries', `must not be negative (got ${cfg.maxRetries})`)
  const t = cfg.http.tlsConfig
  if (t.certFile !== '' && t.keyFile === '') throw fail('http_config.tls_config.cert_file', `client cert file "${t.certFile}" specified without client key file`)
  if (t.keyFile !== '' && t.certFile === '') throw fail('http_config.tls_config.key_file', `client key file "${t.keyFile}" specified without client cert file`)
}
