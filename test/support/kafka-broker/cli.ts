import { parseArgs } from 'node:util';
import { KafkaTestBroker } from './broker.js';
import { consoleLogger } from './logger.js';

// `npm run test-broker -- --port 9092 [--partitions N]`: the test broker as a standalone process,
// for poking at it with kcat or a local app. State is in memory and dies with the process.
const usage = 'usage: npm run test-broker -- [--port 9092] [--partitions 1] [--host 127.0.0.1]';

function positiveInt(name: string, raw: string, min: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > 65535) {
    console.error(`--${name} must be an integer between ${min} and 65535, got '${raw}'\n${usage}`);
    process.exit(2);
  }
  return n;
}

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '9092' },
    partitions: { type: 'string', default: '1' },
    host: { type: 'string', default: '127.0.0.1' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}

const broker = new KafkaTestBroker({
  host: values.host,
  port: positiveInt('port', values.port, 0),
  defaultPartitions: positiveInt('partitions', values.partitions, 1),
  logger: consoleLogger,
});

try {
  await broker.start();
} catch (err) {
  console.error(`cannot listen on ${values.host}:${values.port}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void broker.stop().then(() => process.exit(0));
  });
}
