/**
 * Channel settings for StoreAPI clients, as Thanos's `pkg/extgrpc/client.go`:
 * - unlimited receive size (grpc-js defaults to 4 MiB, far too small for Series streams);
 * - keepalive pings every 10 s with a 5 s timeout, so a dead peer is noticed between queries
 *   (upstream PR #6810: without keepalive a broken endpoint group looked healthy);
 * - optional TLS from the `--grpc-client-tls-*` flags.
 */
import {readFileSync} from 'node:fs'
import {credentials, type ChannelCredentials, type ChannelOptions} from '@grpc/grpc-js'
import {BadDataError} from '../errors.js'

export interface ClientTlsOptions {
  /** `--grpc-client-tls-secure`: use TLS at all. */
  secure: boolean
  /** `--grpc-client-tls-cert` / `--grpc-client-tls-key`: client certificate (mutual TLS). */
  certFile?: string
  keyFile?: string
  /** `--grpc-client-tls-ca`: CA bundle to verify servers; system roots when unset. */
  caFile?: string
  /** `--grpc-client-server-name`: name to verify the server certificate against. */
  serverName?: string
  /** `--grpc-client-tls-skip-verify`: do not verify the server certificate. */
  skipVerify?: boolean
}

export interface StoreClientOptions {
  tls?: ClientTlsOptions
  /** `--grpc-compression`: 'none' (default) or 'gzip' (grpc-js has no snappy). */
  compression?: 'none' | 'gzip'
  /** Overrides for tests. */
  keepaliveTimeMs?: number
  keepaliveTimeoutMs?: number
}

const MAX_INT32 = 2 ** 31 - 1

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path)
  } catch (e) {
    throw new BadDataError(`cannot read gRPC client TLS ${what} ${path}: ${(e as Error).message}`)
  }
}

export function channelCredentials(tls: ClientTlsOptions | undefined): ChannelCredentials {
  if (!tls || !tls.secure) return credentials.createInsecure()
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    throw new BadDataError('--grpc-client-tls-cert and --grpc-client-tls-key must be given together')
  }
  const ca = tls.caFile ? readPem(tls.caFile, 'CA') : null
  const key = tls.keyFile ? readPem(tls.keyFile, 'key') : null
  const cert = tls.certFile ? readPem(tls.certFile, 'certificate') : null
  return credentials.createSsl(ca, key, cert, tls.skipVerify ? {rejectUnauthorized: false, checkServerIdentity: () => undefined} : {})
}

export function channelOptions(opts: StoreClientOptions | undefined): ChannelOptions {
  const o: ChannelOptions = {
    'grpc.max_receive_message_length': MAX_INT32,
    'grpc.max_send_message_length': MAX_INT32,
    'grpc.keepalive_time_ms': opts?.keepaliveTimeMs ?? 10_000,
    'grpc.keepalive_timeout_ms': opts?.keepaliveTimeoutMs ?? 5_000,
  }
  if (opts?.tls?.secure && opts.tls.serverName) o['grpc.ssl_target_name_override'] = opts.tls.serverName
  if (opts?.compression === 'gzip') o['grpc.default_compression_algorithm'] = 2
  return o
}
