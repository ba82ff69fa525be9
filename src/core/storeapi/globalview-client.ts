/**
 * gRPC client of one endpoint's Rules, Targets, Metadata and Exemplars APIs
 * (`/thanos.Rules/Rules`, `/thanos.Targets/Targets`, `/thanos.Metadata/MetricMetadata`,
 * `/thanos.Exemplars/Exemplars`), over the channel its StoreClient already holds. Each call
 * reads the whole server stream and answers its frames at once: these answers are small, and
 * Thanos's proxies (pkg/rules/proxy.go and the others) also wait for every frame before
 * sending any group on. The signal cancels the call (RST_STREAM).
 *
 * It has the same shape as the servers' GlobalViewApiImpl, so a fan-out over these clients
 * can itself be served (stacked queriers). Failures are GlobalViewCallErrors: the fan-out
 * names the endpoint in its warning.
 */
import {Metadata, status, type Client, type ClientReadableStream, type ServiceError} from '@grpc/grpc-js'
import {CanceledError, ThanostsError, type ErrorKind} from '../errors.js'
import * as gw from '../globalview/globalview-wire.js'
import type {ExemplarsFrame, ExemplarsRequest, MetadataFrame, MetricMetadataRequest, RulesFrame, RulesRequest, TargetsFrame, TargetsRequest} from '../globalview/messages.js'
import type {GlobalViewApiImpl} from './globalview-grpc-server.js'

/** Go's names of the gRPC codes, as grpc-go prints them in `rpc error: code = ... desc = ...`. */
const GO_CODE_NAMES = [
  'OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied', 'ResourceExhausted',
  'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated',
]

function kindOfCode(code: number | undefined): ErrorKind {
  if (code === status.DEADLINE_EXCEEDED) return 'timeout'
  if (code === status.CANCELLED) return 'canceled'
  if (code === status.INVALID_ARGUMENT) return 'bad_data'
  return 'unavailable'
}

/**
 * A failed call, with grpc-go's wording of the status (`rpc error: code = Unavailable desc = ...`)
 * and whether the endpoint could not be reached at all: Thanos's proxies say "fetching ... from"
 * when the stream cannot be opened and "receiving ... from" when it fails on the way.
 */
export class GlobalViewCallError extends ThanostsError {
  constructor(
    kind: ErrorKind,
    message: string,
    readonly phase: 'fetching' | 'receiving',
    options?: {cause?: unknown},
  ) {
    super(kind, message, options)
  }
}

function callError(e: unknown): GlobalViewCallError {
  if (e instanceof GlobalViewCallError) return e
  if (e instanceof ThanostsError) return new GlobalViewCallError(e.kind, e.message, 'receiving', {cause: e})
  const se = e as Partial<ServiceError>
  const detail = se.details || se.message || String(e)
  const code = se.code ?? status.UNKNOWN
  // grpc-js fails calls on a channel that cannot connect with this wording (grpc-go: "connection error")
  const phase = code === status.UNAVAILABLE && detail.startsWith('No connection established') ? 'fetching' : 'receiving'
  return new GlobalViewCallError(kindOfCode(code), `rpc error: code = ${GO_CODE_NAMES[code] ?? String(code)} desc = ${detail}`, phase, {cause: e})
}

const identity = (b: Buffer): Buffer => b
const toBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength)

export class GlobalViewClient implements GlobalViewApiImpl {
  constructor(
    private readonly client: Client,
    readonly address: string,
  ) {}

  rules(req: RulesRequest, signal: AbortSignal): Promise<RulesFrame[]> {
    return this.stream('/thanos.Rules/Rules', gw.rulesRequestCodec, gw.rulesResponseCodec, req, signal, 'rules')
  }

  targets(req: TargetsRequest, signal: AbortSignal): Promise<TargetsFrame[]> {
    return this.stream('/thanos.Targets/Targets', gw.targetsRequestCodec, gw.targetsResponseCodec, req, signal, 'targets')
  }

  metricMetadata(req: MetricMetadataRequest, signal: AbortSignal): Promise<MetadataFrame[]> {
    return this.stream('/thanos.Metadata/MetricMetadata', gw.metadataRequestCodec, gw.metadataResponseCodec, req, signal, 'metric metadata')
  }

  exemplars(req: ExemplarsRequest, signal: AbortSignal): Promise<ExemplarsFrame[]> {
    return this.stream('/thanos.Exemplars/Exemplars', gw.exemplarsRequestCodec, gw.exemplarsResponseCodec, req, signal, 'exemplars')
  }

  private async stream<Req, Frame>(path: string, reqCodec: gw.MessageCodec<Req>, resCodec: gw.MessageCodec<Frame>, req: Req, signal: AbortSignal, what: string): Promise<Frame[]> {
    if (signal.aborted) throw new CanceledError(`${what} from ${this.address} canceled`)
    const call: ClientReadableStream<Buffer> = this.client.makeServerStreamRequest(path, identity, identity, toBuffer(reqCodec.encode(req)), new Metadata(), {})
    const onAbort = (): void => call.cancel()
    signal.addEventListener('abort', onAbort, {once: true})
    const frames: Frame[] = []
    try {
      for await (const buf of call as AsyncIterable<Buffer>) {
        try {
          frames.push(resCodec.decode(buf))
        } catch (e) {
          throw new GlobalViewCallError('unavailable', `bad ${what} response: ${(e as Error).message}`, 'receiving', {cause: e})
        }
      }
      return frames
    } catch (e) {
      if (signal.aborted) {
        const r: unknown = signal.reason
        throw r instanceof ThanostsError ? r : new CanceledError(`${what} from ${this.address} canceled`)
      }
      throw callError(e)
    } finally {
      signal.removeEventListener('abort', onAbort)
      call.cancel()
    }
  }
}
