/** Line-per-event sink; the broker is silent unless a test or the CLI passes one. */
export interface BrokerLogger {
  info(message: string): void;
  warn(message: string): void;
}

export const silentLogger: BrokerLogger = {
  info: () => undefined,
  warn: () => undefined,
};

export const consoleLogger: BrokerLogger = {
  info: (m) => console.log(`${new Date().toISOString()} ${m}`),
  warn: (m) => console.warn(`${new Date().toISOString()} WARN ${m}`),
};
