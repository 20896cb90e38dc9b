import type pg from 'pg';
import type { Logger } from '../logging/logger.js';

export interface PgListenerHandlers {
  /** A NOTIFY on the channel, with its payload. */
  onNotify(payload: string): void;
  /** The connection is (again) listening: whatever was missed while down must be assumed. */
  onListening?(): void;
  /** The connection is gone: notifications may be missed until onListening. */
  onLost?(): void;
}

/**
 * One LISTEN connection on one channel that reconnects after a database restart. Callers
 * learn when it is down, because a NOTIFY missed meanwhile is gone for good.
 */
export class PgListener {
  private client: pg.PoolClient | null = null;
  private stopped = true;
  private starting: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly channel: string,
    private readonly handlers: PgListenerHandlers,
    private readonly options: { logger?: Logger; reconnectMs?: number } = {},
  ) {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name ${channel}`);
  }

  get listening(): boolean {
    return this.client !== null;
  }

  start(): Promise<void> {
    this.stopped = false;
    this.starting ??= this.connect();
    return this.starting;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.starting?.catch(() => undefined);
    this.starting = null;
    const client = this.client;
    this.client = null;
    if (client) {
      await client.query(`UNLISTEN ${this.channel}`).catch(() => undefined);
      client.release();
    }
  }

  private async connect(): Promise<void> {
    try {
      const client = await this.pool.connect();
      client.on('notification', (message) => {
        if (message.channel === this.channel) this.handlers.onNotify(message.payload ?? '');
      });
      client.on('error', (error) => this.lost(client, error));
      await client.query(`LISTEN ${this.channel}`);
      if (this.stopped) {
        client.release();
        return;
      }
      this.client = client;
      this.handlers.onListening?.();
    } catch (error) {
      this.options.logger?.warn({ err: error, channel: this.channel }, 'LISTEN failed; retrying');
      this.scheduleReconnect();
    }
  }

  private lost(client: pg.PoolClient, error: Error): void {
    if (this.client !== client) return;
    this.client = null;
    client.release(error);
    this.handlers.onLost?.();
    this.options.logger?.warn({ err: error, channel: this.channel }, 'LISTEN connection lost; reconnecting');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.starting = this.connect();
    }, this.options.reconnectMs ?? 1000);
    this.retryTimer.unref();
  }
}
