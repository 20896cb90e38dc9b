import type pg from 'pg';
import { LOG_NOTIFY_CHANNEL } from '../event-store/postgres-event-store.js';
import type { Logger } from '../logging/logger.js';
import { PgListener } from '../postgres/pg-listener.js';

/**
 * One LISTEN connection per process, fanned out to every reader of the log. Losing the
 * connection only costs latency (readers still poll), so it reconnects quietly.
 */
export class LogNotifications {
  private readonly listeners = new Set<() => void>();
  private readonly listener: PgListener;

  constructor(pool: pg.Pool, logger?: Logger, reconnectMs = 1000) {
    const wakeAll = () => {
      for (const listener of this.listeners) listener();
    };
    this.listener = new PgListener(pool, LOG_NOTIFY_CHANNEL, {
      onNotify: wakeAll,
      // Appends that committed while we were not listening: let readers look now.
      onListening: wakeAll,
    }, { ...(logger ? { logger } : {}), reconnectMs });
  }

  /** True while the LISTEN connection is held (readiness reports it). */
  get listening(): boolean {
    return this.listener.listening;
  }

  /** Registers a wake-up; returns the function that unregisters it. */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): Promise<void> {
    return this.listener.start();
  }

  stop(): Promise<void> {
    return this.listener.stop();
  }
}
