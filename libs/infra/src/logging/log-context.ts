import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line written on behalf of one request or one event carries. */
export interface LogContext {
  correlationId: string;
  [field: string]: string | number | undefined;
}

const storage = new AsyncLocalStorage<LogContext>();

/**
 * Runs `work` so that every log line it writes, however deep and however asynchronous,
 * carries `context`. Passing the context down by hand would miss the lines written by
 * code that has no reason to know about requests (the gateway, the event store).
 */
export function withLogContext<T>(context: LogContext, work: () => T): T {
  return storage.run(context, work);
}

export function currentLogContext(): LogContext | undefined {
  return storage.getStore();
}
