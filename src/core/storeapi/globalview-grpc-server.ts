/**
 * Serves the Rules, Targets, Metadata and Exemplars APIs of any implementation (the sidecar's
 * over Prometheus, or anything with the same shape) on a grpc-js server, as the
 * server-streaming `/thanos.Rules/Rules`, `/thanos.Targets/Targets`,
 * `/thanos.Metadata/MetricMetadata` and `/thanos.Exemplars/Exemplars`. Messages are coded by
 * globalview/globalview-wire.ts; typed errors become gRPC status codes, as for the StoreAPI.
 */
import type {Server, ServerWritableStream, ServiceDefinition, UntypedServiceImplementation} from '@grpc/grpc-js'
import {status} from '@grpc/grpc-js'
import {BadDataError} from '../errors.js'
import * as gw from '../globalview/globalview-wire.js'
import type {
  ExemplarsFrame,
  ExemplarsRequest,
  MetadataFrame,
  MetricMetadataRequest,
  RulesFrame,
  RulesRequest,
  TargetsFrame,
  TargetsRequest,
} from '../globalview/messages.js'
import type {Logger} from '../log.js'
import {EXEMPLARS_SERVICE, METADATA_SERVICE, RULES_SERVICE, TARGETS_SERVICE} from './services.js'
import {cancelOnClose, grpcError, type GrpcCallObserver} from './store-grpc-server.js'

/** Each call answers all its frames at once: these answers are small and cold. */
export interface GlobalViewApiImpl {
  rules(req: RulesRequest, signal: AbortSignal): Promise<RulesFrame[]>
  targets(req: TargetsRequest, signal: AbortSignal): Promise<TargetsFrame[]>
  metricMetadata(req: MetricMetadataRequest, signal: AbortSignal): Promise<MetadataFrame[]>
  exemplars(req: ExemplarsRequest, signal: AbortSignal): Promise<ExemplarsFrame[]>
}

const toBuf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength)

function decodeRequest<Req>(codec: gw.MessageCodec<Req>, b: Buffer): Req {
  try {
    return codec.decode(b)
  } catch (e) {
    throw new BadDataError(`malformed request: ${(e as Error).message}`)
  }
}

async function writeAll(call: ServerWritableStream<Buffer, Buffer>, frames: readonly Buffer[]): Promise<void> {
  for (const f of frames) {
    if (call.cancelled) return
    if (call.write(f)) continue
    await new Promise<void>((resolve) => {
      const done = (): void => {
        call.off('drain', done)
        call.off('cancelled', done)
        resolve()
      }
      call.on('drain', done)
      call.on('cancelled', done)
    })
  }
  if (!call.cancelled) call.end()
}

export function registerGlobalViewApis(server: Server, impl: GlobalViewApiImpl, opts: {logger?: Logger; observe?: GrpcCallObserver} = {}): void {
  const streaming =
    <Req, Frame>(method: string, req: gw.MessageCodec<Req>, res: gw.MessageCodec<Frame>, run: (r: Req, signal: AbortSignal) => Promise<Frame[]>) =>
    (call: ServerWritableStream<Buffer, Buffer>): void => {
      const started = performance.now()
      const ctl = cancelOnClose(call)
      const observe = (code: number): void => opts.observe?.(method, call.cancelled ? status.CANCELLED : code, (performance.now() - started) / 1000)
      Promise.resolve()
        .then(() => run(decodeRequest(req, call.request), ctl.signal))
        .then((frames) => writeAll(call, frames.map((f) => toBuf(res.encode(f)))))
        .then(
          () => observe(status.OK),
          (e: unknown) => {
            const err = grpcError(e)
            observe(err.code)
            if (call.cancelled) return
            opts.logger?.debug(`${method} failed`, {err: err.details})
            call.emit('error', err)
          },
        )
    }
  const add = (def: object, handlers: UntypedServiceImplementation): void => server.addService(def as unknown as ServiceDefinition, handlers)
  add(RULES_SERVICE, {Rules: streaming('Rules', gw.rulesRequestCodec, gw.rulesResponseCodec, (r, s) => impl.rules(r, s))})
  add(TARGETS_SERVICE, {Targets: streaming('Targets', gw.targetsRequestCodec, gw.targetsResponseCodec, (r, s) => impl.targets(r, s))})
  add(METADATA_SERVICE, {MetricMetadata: streaming('MetricMetadata', gw.metadataRequestCodec, gw.metadataResponseCodec, (r, s) => impl.metricMetadata(r, s))})
  add(EXEMPLARS_SERVICE, {Exemplars: streaming('Exemplars', gw.exemplarsRequestCodec, gw.exemplarsResponseCodec, (r, s) => impl.exemplars(r, s))})
}
