import {
  applicationDecider,
  applicationStreamId,
  clusterDecider,
  clusterStreamId,
  DEFAULT_WAVE_PLAN,
  environmentDecider,
  environmentStreamId,
  handleCommand,
  releaseDecider,
  releaseStreamId,
  type EventMetadata,
  type EventStore,
  type PromotionPolicy,
} from '#domain';

const meta: EventMetadata = { actor: 'seed', source: 'system', correlationId: 'seed' };
const now = new Date('2026-11-22T00:00:00.000Z');

/**
 * "Given" state for API tests, written through the same deciders and event store the
 * API uses, so a test of one endpoint does not depend on every other endpoint.
 */
export function seeder(store: EventStore) {
  return {
    async application(name: string, team = 'team') {
      await handleCommand(store, applicationDecider, applicationStreamId(name), { type: 'CreateApplication', data: { name, team, description: '', now } }, meta);
    },
    async release(application: string, version: string) {
      await handleCommand(
        store,
        releaseDecider,
        releaseStreamId(application, version),
        {
          type: 'RegisterRelease',
          data: { application, version, images: [{ name: 'app', repository: `registry.example.com/${application}`, tag: version }], createdBy: 'seed', now },
        },
        meta,
      );
    },
    async environment(name: string, rank: number, policy: Partial<PromotionPolicy> = {}) {
      await handleCommand(
        store,
        environmentDecider,
        environmentStreamId(name),
        {
          type: 'DefineEnvironment',
          data: {
            name,
            rank,
            description: '',
            policy: { requiredSoakSeconds: 0, requiredApprovals: 0, clusterSelector: {}, wavePlan: DEFAULT_WAVE_PLAN, ...policy },
            now,
          },
        },
        meta,
      );
    },
    async cluster(name: string, environment: string, labels: Record<string, string> = {}) {
      await handleCommand(
        store,
        clusterDecider,
        clusterStreamId(name),
        { type: 'RegisterCluster', data: { name, environment, region: labels.region ?? 'eu', labels, connection: { kind: 'env', variable: 'KUBECONFIG' }, now } },
        meta,
      );
    },
    async cordon(name: string) {
      await handleCommand(store, clusterDecider, clusterStreamId(name), { type: 'CordonCluster', data: { name, reason: 'maintenance', now } }, meta);
    },
  };
}
