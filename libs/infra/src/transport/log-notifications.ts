import type pg from 'pg';
import { LOG_NOTIFY_CHANNEL } from '../event-store/postgres-event-store.js';
import type { Logger } from '../logging/logger.js';

/**
 * One LISTEN connection per process, fanned out to every reader of the log. Losing the
 * connection only costs latency (readers still poll), so it reconnects quietly.
 */
export class LogNotifications {
  private readonly listeners = new Set<() => void>();
  private client: pg.PoolClient | null = null;
  private stopped = false;
  private starting: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger?: Logger,
    private readonly reconnectMs = 1000,
  ) {}

  /** True while the LISTEN connection is held (readiness reports it). */
  get listening(): boolean {
    return this.client !== null;
  }

  /** Registers a wake-up; returns the function that unregisters it. */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
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
      await client.query(`UNLISTEN ${LOG_NOTIFY_CHANNEL}`).catch(() => undefined);
      client.release();
    }
  }

  private async connect(): Promise<void> {
    try {
      const client = await this.pool.connect();
      client.on('notification', () => {
        for (const listener of this.listeners) listener();
      });
      client.on('error', (error) => this.lost(client, error));
      await client.query(`LISTEN ${LOG_NOTIFY_CHANNEL}`);
      if (this.stopped) {
        client.release();
        return;
      }
      this.client = client;
      // Appends that committed while we were not listening: let readers look now.
      for (const listener of this.listeners) listener();
    } catch (error) {
      this.logger?.warn({ err: error }, 'LISTEN failed; polling until it reconnects');
      this.scheduleReconnect();
    }
  }

  private lost(client: pg.PoolClient, error: Error): void {
    if (this.client !== client) return;
    this.client = null;
    client.release(error);
    this.logger?.warn({ err: error }, 'LISTEN connection lost; polling until it reconnects');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.starting = this.connect();
    }, this.reconnectMs);
    this.retryTimer.unref();
  }
}
