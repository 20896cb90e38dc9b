import type { CircleHarness } from '../support/circle-harness.js';

export const FINAL = ['Succeeded', 'Failed', 'Aborted'];

export interface Fixture {
  deployer: string;
  manager: string;
}

/** An environment with clusters, an application and releases, all through the API. */
export async function seedFleet(
  circle: CircleHarness,
  options: { environment: string; clusters: string[]; waves?: string[]; maxParallel?: number; bakeSeconds?: number; onFailure?: 'rollback' | 'pause'; application: string; versions: string[] },
): Promise<Fixture> {
  const deployer = await circle.token('deployer', `ci-${options.application}`);
  const manager = await circle.token('release-manager', `rm-${options.application}`);
  await circle
    .http()
    .post('/v1/environments')
    .auth(circle.admin, { type: 'bearer' })
    .send({
      name: options.environment,
      rank: 1,
      policy: {
        wavePlan: { waves: options.waves ?? ['rest'], maxParallel: options.maxParallel ?? 5, bakeSeconds: options.bakeSeconds ?? 0, onFailure: options.onFailure ?? 'rollback' },
      },
    })
    .expect(201);
  for (const name of options.clusters) await circle.addCluster(name, options.environment);
  await circle.http().post('/v1/applications').auth(manager, { type: 'bearer' }).send({ name: options.application, team: 'web' }).expect(201);
  for (const version of options.versions) {
    await circle
      .http()
      .post(`/v1/applications/${options.application}/releases`)
      .auth(deployer, { type: 'bearer' })
      .send({ version, images: [{ name: 'web', repository: `registry.example.com/${options.application}`, tag: version }] })
      .expect(201);
  }
  return { deployer, manager };
}

export async function startRollout(circle: CircleHarness, token: string, body: object): Promise<string> {
  const response = await circle.http().post('/v1/rollouts').auth(token, { type: 'bearer' }).send(body);
  if (response.status !== 202) throw new Error(`rollout not accepted: ${response.status} ${JSON.stringify(response.body)}`);
  // Read-your-writes: later reads of this rollout find it in the read model.
  await circle.http().get(`/v1/rollouts/${response.body.rolloutId}?position=${response.body.position}`).auth(token, { type: 'bearer' }).expect(200);
  return response.body.rolloutId as string;
}

export async function rollout(circle: CircleHarness, id: string): Promise<Record<string, any>> {
  return (await circle.http().get(`/v1/rollouts/${id}`).auth(circle.admin, { type: 'bearer' }).expect(200)).body;
}

/**
 * Lets the rollout run: each round moves the offset clock by `stepMs` (so pauses and
 * bakes pass without sleeping through them), fires due timers, and gives the
 * simulator a moment to make pods ready. Stops at one of `phases` or when `until` holds.
 */
export async function drive(
  circle: CircleHarness,
  id: string,
  opts: { phases?: string[]; until?: (r: Record<string, any>) => boolean; stepMs?: number; rounds?: number } = {},
): Promise<Record<string, any>> {
  const phases = opts.phases ?? FINAL;
  for (let i = 0; i < (opts.rounds ?? 400); i += 1) {
    const current = await rollout(circle, id);
    if (phases.includes(current.phase) || opts.until?.(current)) return current;
    circle.clock.advance(opts.stepMs ?? 0);
    await circle.tick();
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`rollout ${id} did not get there: ${JSON.stringify(await rollout(circle, id))}`);
}

export type SimDeployment = { metadata: { annotations?: Record<string, string> }; spec: { replicas: number; template: { spec: { containers: { image: string }[] } } } };
export type SimService = { spec: { selector: Record<string, string> } };

export function deployment(circle: CircleHarness, cluster: string, namespace: string, name: string): SimDeployment | undefined {
  return circle.fleet.cluster(cluster).getObject('deployments', namespace, name) as SimDeployment | undefined;
}

export function service(circle: CircleHarness, cluster: string, namespace: string, name: string): SimService | undefined {
  return circle.fleet.cluster(cluster).getObject('services', namespace, name) as SimService | undefined;
}

export const imageOf = (d: SimDeployment | undefined): string | undefined => d?.spec.template.spec.containers[0]?.image;

export async function eventTypes(circle: CircleHarness, id: string): Promise<string[]> {
  const { rows } = await circle.db.pool.query<{ type: string }>('SELECT type FROM events WHERE stream_id = $1 ORDER BY stream_version', [`rollout-${id}`]);
  return rows.map((r) => r.type);
}
