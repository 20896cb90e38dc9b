#!/usr/bin/env node
/**
 * Standalone cluster simulator:
 *   npm run sim -- --clusters 3 --port 7443 --kubeconfig-dir ./.circle/kubeconfigs
 * serves sim-001..sim-003 on 127.0.0.1:7443..7445 and writes DIR/<cluster>.yaml for
 * each, so kubectl or any other client can be pointed at them.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SimulatedFleet } from './simulated-fleet.js';

const USAGE = `Usage: npm run sim -- [options]

  --clusters N          number of simulated clusters (default 3)
  --port P              first port; cluster i listens on P+i (default 7443)
  --host H              address to bind (default 127.0.0.1)
  --kubeconfig-dir DIR  where DIR/<cluster>.yaml kubeconfigs are written (default ./.circle/kubeconfigs)
  --prefix NAME         cluster name prefix (default sim); names are NAME-001, NAME-002...
  --ms-per-replica MS   time for one simulated pod to become ready (default 500)
  --bookmark-ms MS      watch bookmark interval (default 60000)
  --never-ready IMAGE   pods of IMAGE (glob with *) never become ready; repeatable
  --crash IMAGE=MS      pods of IMAGE crash MS after becoming ready; repeatable
  --insecure-http       serve plain http instead of https (kubectl then sends no token:
                        fine for client-node, not for kubectl)
  -h, --help            this text
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clusters: { type: 'string', default: '3' },
      port: { type: 'string', default: '7443' },
      host: { type: 'string', default: '127.0.0.1' },
      'kubeconfig-dir': { type: 'string', default: './.circle/kubeconfigs' },
      prefix: { type: 'string', default: 'sim' },
      'ms-per-replica': { type: 'string', default: '500' },
      'bookmark-ms': { type: 'string', default: '60000' },
      'never-ready': { type: 'string', multiple: true, default: [] },
      crash: { type: 'string', multiple: true, default: [] },
      'insecure-http': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const count = positiveInt(values.clusters, '--clusters');
  const port = positiveInt(values.port, '--port');
  const dir = resolve(values['kubeconfig-dir']);
  const fleet = new SimulatedFleet({
    host: values.host,
    basePort: port,
    msPerReplica: positiveInt(values['ms-per-replica'], '--ms-per-replica'),
    bookmarkIntervalMs: positiveInt(values['bookmark-ms'], '--bookmark-ms'),
    tls: !values['insecure-http'],
  });
  const width = Math.max(3, String(count).length);
  for (let i = 1; i <= count; i++) await fleet.addCluster(`${values.prefix}-${String(i).padStart(width, '0')}`);
  for (const image of values['never-ready']) fleet.injectImageFault(image, { kind: 'never-ready' });
  for (const spec of values.crash) {
    const at = spec.lastIndexOf('=');
    if (at <= 0) throw new Error(`--crash expects IMAGE=MS, got "${spec}"`);
    fleet.injectImageFault(spec.slice(0, at), { kind: 'crash', afterMs: positiveInt(spec.slice(at + 1), '--crash') });
  }
  await fleet.start();
  const paths = await fleet.writeKubeconfigs(dir);
  const first = fleet.clusters[0];
  const last = fleet.clusters[fleet.clusters.length - 1];
  process.stdout.write(
    `cluster-sim: ${count} clusters on ${values.host}:${first?.port}..${last?.port}\n` +
      `kubeconfigs: ${dir}/<cluster>.yaml (${paths.length} files)\n` +
      (first ? `try: kubectl --kubeconfig ${paths[0]} get deployments -A\n` : ''),
  );
  const shutdown = (signal: string) => {
    process.stdout.write(`cluster-sim: ${signal}, stopping\n`);
    void fleet.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // The fleet's timers are unref'd; the listening sockets keep the process alive.
}

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} expects a non-negative integer, got "${text}"`);
  return n;
}

main().catch((e: unknown) => {
  process.stderr.write(`cluster-sim: ${e instanceof Error ? e.message : String(e)}\n\n${USAGE}`);
  process.exit(1);
});
