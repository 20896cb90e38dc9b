import type { Socket } from 'node:net';
import { unsupportedApiVersionsBody } from './handlers/api-versions.js';
import type { ApiHandler, BrokerContext } from './handlers/handler.js';
import { ApiKey } from './protocol/api-keys.js';
import { ErrorCode } from './protocol/error-codes.js';
import { MalformedFrameError, Reader } from './protocol/reader.js';
import { Writer } from './protocol/writer.js';

/** Larger than any test sends, small enough that a garbage length cannot make us buffer gigabytes. */
const MAX_FRAME_BYTES = 100 * 1024 * 1024;
/** api_key + api_version + correlation_id + client_id length. */
const MIN_FRAME_BYTES = 10;

/**
 * One client TCP connection. Requests are handled strictly one at a time, in order, as a Kafka
 * broker does ("requests on a single connection are processed in the order they are sent"):
 * a long-polling Fetch therefore delays a Heartbeat queued behind it on the same socket, which
 * is exactly the behaviour client timeouts are tuned against.
 */
export class Connection {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private queue: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();
  readonly remote: string;

  constructor(
    private readonly socket: Socket,
    private readonly id: number,
    private readonly broker: BrokerContext,
    private readonly handlers: ReadonlyMap<number, ApiHandler>,
  ) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined); // resets by clients going away are normal; 'close' follows
    socket.on('close', () => this.abort.abort());
    broker.log.info(`connection #${id} from ${this.remote}`);
  }

  close(): void {
    this.abort.abort();
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    while (this.pendingBytes >= 4) {
      if (this.pending[0]!.length < 4) this.pending = [Buffer.concat(this.pending, this.pendingBytes)];
      const size = this.pending[0]!.readInt32BE(0);
      if (size < MIN_FRAME_BYTES || size > MAX_FRAME_BYTES) {
        return this.malformed(`frame size ${size} outside [${MIN_FRAME_BYTES}, ${MAX_FRAME_BYTES}]`);
      }
      // Join chunks only once the whole frame is here, so a big frame costs one copy, not one per chunk.
      if (this.pendingBytes < 4 + size) return;
      const head = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
      const frame = head.subarray(4, 4 + size);
      const rest = head.subarray(4 + size);
      this.pending = rest.length > 0 ? [rest] : [];
      this.pendingBytes = rest.length;
      this.queue = this.queue.then(() => this.process(frame));
    }
  }

  private async process(frame: Buffer): Promise<void> {
    if (this.abort.signal.aborted) return;
    const r = new Reader(frame);
    let apiKey = -1;
    try {
      apiKey = r.int16();
      const version = r.int16();
      const correlationId = r.int32();
      const clientId = r.nullableString() ?? '';
      const handler = this.handlers.get(apiKey);
      if (!handler || version < handler.minVersion || version > handler.maxVersion) {
        this.broker.log.warn(`connection #${this.id}: unsupported api ${apiKey} v${version} from ${clientId || this.remote}`);
        // ApiVersions gets the KIP-511 v0 layout; anything else a body that is just the error code.
        const body = apiKey === ApiKey.ApiVersions ? unsupportedApiVersionsBody(this.broker) : new Writer().int16(ErrorCode.UNSUPPORTED_VERSION);
        return this.respond(correlationId, body);
      }
      // The only flexible version implemented is ApiVersions v3: its request header (v2) ends
      // in tagged fields, but its response header stays v0 so old clients can always parse it.
      if (apiKey === ApiKey.ApiVersions && version >= 3) r.skipTaggedFields();
      this.broker.requestCounts.set(handler.name, (this.broker.requestCounts.get(handler.name) ?? 0) + 1);
      const body = await handler.handle(r, {
        version,
        clientId,
        clientHost: this.socket.remoteAddress ?? '',
        signal: this.abort.signal,
        broker: this.broker,
      });
      if (body) this.respond(correlationId, body);
    } catch (err) {
      if (err instanceof MalformedFrameError) return this.malformed(`api ${apiKey}: ${err.message}`);
      this.broker.log.warn(`connection #${this.id}: api ${apiKey} failed: ${err instanceof Error ? err.stack : String(err)}`);
      this.close();
    }
  }

  private respond(correlationId: number, body: Writer): void {
    if (this.socket.destroyed) return;
    const payload = body.toBuffer();
    const head = Buffer.allocUnsafe(8);
    head.writeInt32BE(payload.length + 4, 0);
    head.writeInt32BE(correlationId, 4);
    this.socket.write(Buffer.concat([head, payload]));
  }

  private malformed(reason: string): void {
    this.broker.log.warn(`connection #${this.id} from ${this.remote}: malformed frame (${reason}); closing it`);
    this.close();
  }
}
