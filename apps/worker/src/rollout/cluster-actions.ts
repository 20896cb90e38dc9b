import {
  canaryReplicaSplit,
  type ClusterAction,
  type ClusterGateway,
  type ClusterRef,
  type GatewayParentRef,
  type ServiceRole,
  type Track,
  type WorkloadStatus,
} from '#domain';
import type { RolloutContext } from './rollout-context.js';

/** What looking at a cluster found: done, still moving, or broken for good. */
export type Observation = { state: 'ready' } | { state: 'waiting'; detail: string } | { state: 'failed'; reason: string };

const PORTS = [{ name: 'http', containerPort: 8080 }];
const SERVICE_PORTS = [{ name: 'http', port: 80, targetPort: 8080 }];
const COLOURS: readonly Track[] = ['blue', 'green'];

const ready = (): Observation => ({ state: 'ready' });

/**
 * Cluster labels that say a cluster routes canary traffic through a Gateway API
 * Gateway: `circle.dev/gateway=<gateway name>`, optionally
 * `circle.dev/gateway-namespace=<its namespace>` (default: the application's namespace).
 */
export const GATEWAY_LABEL = 'circle.dev/gateway';
export const GATEWAY_NAMESPACE_LABEL = 'circle.dev/gateway-namespace';

/** The Gateway a cluster's labels name, or null when the cluster is not configured for the Gateway API. */
export function gatewayFromLabels(labels: Readonly<Record<string, string>>): GatewayParentRef | null {
  const name = labels[GATEWAY_LABEL];
  if (!name) return null;
  const namespace = labels[GATEWAY_NAMESPACE_LABEL];
  return namespace ? { name, namespace } : { name };
}

/** Where the Gateway chosen for a cluster is remembered in the rollout's notes, so later steps and a restore use the same one. */
const NOTE_GATEWAY = 'gateway';
const NOTE_GATEWAY_NAMESPACE = 'gatewayNamespace';

/** Reads a cluster's labels (from the clusters read model). */
export type ClusterLabels = (cluster: string) => Promise<Readonly<Record<string, string>>>;

/**
 * Carries out one rollout action on one cluster through the gateway. Every method may
 * run twice for the same step (a worker died between doing and recording): applies
 * are by spec, deletes tolerate absence, so a repeat changes nothing visible.
 */
export class ClusterActions {
  /** Namespaces known to exist, per cluster: each is ensured once per worker, not per step. */
  private readonly namespaces = new Set<string>();

  constructor(
    private readonly gateway: ClusterGateway,
    private readonly clusterLabels: ClusterLabels = async () => ({}),
  ) {}

  /**
   * The Gateway whose HTTPRoute carries this rollout's traffic split on this cluster,
   * or null for replica-ratio routing: the strategy must ask for `gatewayApi` and the
   * cluster must be labelled for it; a cluster without the label falls back to the
   * replica ratio. Once a step has used a Gateway the note keeps it, so a label
   * changed mid-rollout cannot leave an HTTPRoute pointing at a canary being removed.
   */
  private async trafficGateway(cluster: ClusterRef, ctx: RolloutContext, note: Record<string, string>): Promise<GatewayParentRef | null> {
    const strategy = ctx.request.strategy;
    if (strategy.kind !== 'canary' || strategy.trafficRouting !== 'gatewayApi') return null;
    const noted = note[NOTE_GATEWAY];
    if (noted) return note[NOTE_GATEWAY_NAMESPACE] ? { name: noted, namespace: note[NOTE_GATEWAY_NAMESPACE] } : { name: noted };
    return gatewayFromLabels(await this.clusterLabels(cluster.name));
  }

  /** Sends `canaryWeight` % of the Gateway's traffic to `<app>-canary`, the rest to `<app>-stable`. */
  private async setWeights(cluster: ClusterRef, ctx: RolloutContext, parentRef: GatewayParentRef, canaryWeight: number): Promise<void> {
    await this.gateway.setTrafficWeights(
      cluster,
      { application: ctx.application, namespace: ctx.namespace, rolloutId: ctx.rolloutId, servicePort: SERVICE_PORTS[0]!.port },
      { stable: 100 - canaryWeight, canary: canaryWeight },
      parentRef,
    );
  }

  private async ensureNamespace(cluster: ClusterRef, namespace: string): Promise<void> {
    const key = `${cluster.name}/${namespace}`;
    if (this.namespaces.has(key)) return;
    await this.gateway.ensureNamespace(cluster, namespace);
    this.namespaces.add(key);
  }

  /** After a failed call the cluster may have been rebuilt: ensure its namespaces again. */
  private forget(cluster: ClusterRef): void {
    for (const key of this.namespaces) if (key.startsWith(`${cluster.name}/`)) this.namespaces.delete(key);
  }

  /** Applies the action; returns facts to remember for later stages (e.g. colours). */
  async apply(cluster: ClusterRef, ctx: RolloutContext, action: ClusterAction, revision: number, note: Record<string, string> = {}): Promise<Record<string, string>> {
    try {
      return await this.applyAction(cluster, ctx, action, revision, note);
    } catch (error) {
      this.forget(cluster);
      throw error;
    }
  }

  private async applyAction(cluster: ClusterRef, ctx: RolloutContext, action: ClusterAction, revision: number, note: Record<string, string>): Promise<Record<string, string>> {
    await this.ensureNamespace(cluster, ctx.namespace);
    switch (action.kind) {
      case 'install':
        // The Deployment and its Services are independent objects: applying them at
        // once starts the pods sooner, and the Services select them whenever they come.
        if (ctx.request.strategy.kind === 'canary') {
          const route = await this.trafficGateway(cluster, ctx, note);
          await Promise.all([this.workload(cluster, ctx, 'stable', ctx.target, ctx.replicas, revision), this.canaryServices(cluster, ctx, revision)]);
          // A first deploy through a Gateway: the route exists from the start, all to stable.
          if (route) await this.setWeights(cluster, ctx, route, 0);
          return noteOf(route);
        }
        await Promise.all([
          this.workload(cluster, ctx, 'blue', ctx.target, ctx.replicas, revision),
          this.service(cluster, ctx, 'active', 'blue', revision),
          this.service(cluster, ctx, 'preview', 'blue', revision),
        ]);
        return { newColor: 'blue', oldColor: '' };
      case 'canaryWeight': {
        // Worked example: 10 % of 7 replicas → canary 1, stable 6 (see canaryReplicaSplit).
        // Through a Gateway the replicas still follow the split (capacity follows the
        // traffic); the route's weights move in observe, once both tracks are ready.
        const route = await this.trafficGateway(cluster, ctx, note);
        // Weight 0 leaves the canary without pods: take its traffic away first.
        if (route && action.weight === 0) await this.setWeights(cluster, ctx, route, 0);
        const split = canaryReplicaSplit(ctx.replicas, action.weight);
        await this.workload(cluster, ctx, 'canary', ctx.target, split.canary, revision);
        await this.workload(cluster, ctx, 'stable', ctx.previous ?? ctx.target, split.stable, revision);
        await this.canaryServices(cluster, ctx, revision);
        return noteOf(route);
      }
      case 'canaryFinalize': {
        const route = await this.trafficGateway(cluster, ctx, note);
        await this.workload(cluster, ctx, 'stable', ctx.target, ctx.replicas, revision);
        await this.canaryServices(cluster, ctx, revision);
        return noteOf(route);
      }
      case 'blueGreenPreview': {
        const oldColour = await this.activeTrack(cluster, ctx);
        const newColour: Track = oldColour === 'blue' ? 'green' : 'blue';
        await this.workload(cluster, ctx, newColour, ctx.target, ctx.replicas, revision);
        await this.service(cluster, ctx, 'preview', newColour, revision);
        if (oldColour === null) await this.service(cluster, ctx, 'active', newColour, revision);
        return { newColor: newColour, oldColor: oldColour ?? '' };
      }
      case 'blueGreenPromote':
      case 'blueGreenScaleDown':
        // Both act on colours chosen at preview; see applyNoted.
        return {};
    }
  }

  /**
   * The parts of blue-green that depend on what preview chose; called with the noted
   * colours (the worker passes the note it recorded at preview).
   */
  async applyNoted(cluster: ClusterRef, ctx: RolloutContext, action: ClusterAction, note: Record<string, string>): Promise<void> {
    const newColour = note.newColor as Track | undefined;
    if (!newColour) return;
    if (action.kind === 'blueGreenPromote') {
      await this.gateway.switchServiceTrack(cluster, { application: ctx.application, namespace: ctx.namespace, role: 'active' }, newColour, ctx.rolloutId);
    }
    if (action.kind === 'blueGreenScaleDown' && note.oldColor && note.oldColor !== newColour) {
      await this.gateway.deleteWorkload(cluster, { application: ctx.application, namespace: ctx.namespace, track: note.oldColor as Track });
    }
  }

  /** Looks at the cluster after apply; finishing touches (removing the canary) happen here once the new state is ready. */
  async observe(cluster: ClusterRef, ctx: RolloutContext, action: ClusterAction, note: Record<string, string>): Promise<Observation> {
    switch (action.kind) {
      case 'install':
        return this.trackReady(cluster, ctx, ctx.request.strategy.kind === 'canary' ? 'stable' : 'blue', ctx.target.version, ctx.replicas);
      case 'canaryWeight': {
        const split = canaryReplicaSplit(ctx.replicas, action.weight);
        const canary = await this.trackReady(cluster, ctx, 'canary', ctx.target.version, split.canary);
        if (canary.state !== 'ready') return canary;
        const stable = await this.trackReady(cluster, ctx, 'stable', (ctx.previous ?? ctx.target).version, split.stable);
        if (stable.state !== 'ready') return stable;
        // Traffic moves only once both tracks can take their share (an apply, so a repeat changes nothing).
        const route = await this.trafficGateway(cluster, ctx, note);
        if (route) await this.setWeights(cluster, ctx, route, action.weight);
        return ready();
      }
      case 'canaryFinalize': {
        const stable = await this.trackReady(cluster, ctx, 'stable', ctx.target.version, ctx.replicas);
        if (stable.state !== 'ready') return stable;
        // Stable runs the new version at full size: all traffic to it, then the canary goes.
        const route = await this.trafficGateway(cluster, ctx, note);
        if (route) await this.setWeights(cluster, ctx, route, 0);
        await this.gateway.deleteWorkload(cluster, { application: ctx.application, namespace: ctx.namespace, track: 'canary' });
        return ready();
      }
      case 'blueGreenPreview':
        return this.trackReady(cluster, ctx, (note.newColor as Track | undefined) ?? 'blue', ctx.target.version, ctx.replicas);
      case 'blueGreenPromote':
      case 'blueGreenScaleDown':
        return ready();
    }
  }

  /** Puts the cluster back as it was before this rollout (or clears it after a first deploy). */
  async restore(cluster: ClusterRef, ctx: RolloutContext, note: Record<string, string>, revision: number): Promise<void> {
    const ref = (track: Track) => ({ application: ctx.application, namespace: ctx.namespace, track });
    const route = await this.trafficGateway(cluster, ctx, note);
    if (ctx.previous === null) {
      // The route goes first: it must never point at Services that are gone.
      if (route) await this.gateway.deleteTrafficRoute(cluster, { application: ctx.application, namespace: ctx.namespace });
      for (const track of ['canary', 'stable', 'blue', 'green'] as const) await this.gateway.deleteWorkload(cluster, ref(track));
      for (const role of ['main', 'stable', 'canary', 'active', 'preview'] as const) {
        await this.gateway.deleteService(cluster, { application: ctx.application, namespace: ctx.namespace, role });
      }
      return;
    }
    if (ctx.request.strategy.kind === 'canary') {
      // All traffic to stable before the canary goes, so no request is sent to a deleted track.
      if (route) await this.setWeights(cluster, ctx, route, 0);
      await this.gateway.deleteWorkload(cluster, ref('canary'));
      await this.workload(cluster, ctx, 'stable', ctx.previous, ctx.replicas, revision);
      return;
    }
    const oldColour = (note.oldColor || 'blue') as Track;
    // The old colour may already be scaled down: bring it back before switching to it.
    await this.workload(cluster, ctx, oldColour, ctx.previous, ctx.replicas, revision);
  }

  async observeRestore(cluster: ClusterRef, ctx: RolloutContext, note: Record<string, string>): Promise<Observation> {
    if (ctx.previous === null) return ready();
    if (ctx.request.strategy.kind === 'canary') return this.trackReady(cluster, ctx, 'stable', ctx.previous.version, ctx.replicas);
    const oldColour = (note.oldColor || 'blue') as Track;
    const back = await this.trackReady(cluster, ctx, oldColour, ctx.previous.version, ctx.replicas);
    if (back.state !== 'ready') return back;
    // Traffic moves back only once the old colour can take it, then the new one goes.
    await this.service(cluster, ctx, 'active', oldColour, 0);
    await this.service(cluster, ctx, 'preview', oldColour, 0);
    const newColour = note.newColor as Track | undefined;
    if (newColour && newColour !== oldColour) {
      await this.gateway.deleteWorkload(cluster, { application: ctx.application, namespace: ctx.namespace, track: newColour });
    }
    return ready();
  }

  private async trackReady(cluster: ClusterRef, ctx: RolloutContext, track: Track, version: string, replicas: number): Promise<Observation> {
    const status = await this.gateway.readWorkloadStatus(cluster, { application: ctx.application, namespace: ctx.namespace, track });
    if (status === null) return replicas === 0 ? ready() : { state: 'waiting', detail: `${track} not created yet` };
    return judge(status, track, version, replicas);
  }

  private async activeTrack(cluster: ClusterRef, ctx: RolloutContext): Promise<Track | null> {
    const objects = await this.gateway.listManagedObjects(cluster, { application: ctx.application, namespace: ctx.namespace });
    const active = objects.find((o) => o.kind === 'Service' && o.role === 'active');
    if (active?.kind === 'Service' && active.targetTrack && COLOURS.includes(active.targetTrack)) return active.targetTrack;
    // Coming from a canary-style install: the stable track is what serves today.
    return objects.some((o) => o.kind === 'Deployment' && o.track === 'stable') ? 'stable' : null;
  }

  private async workload(
    cluster: ClusterRef,
    ctx: RolloutContext,
    track: Track,
    release: { version: string; image: string },
    replicas: number,
    revision: number,
  ): Promise<WorkloadStatus> {
    return this.gateway.applyWorkload(cluster, {
      application: ctx.application,
      namespace: ctx.namespace,
      track,
      version: release.version,
      image: release.image,
      replicas,
      ports: PORTS,
      rolloutId: ctx.rolloutId,
      revision,
      progressDeadlineSeconds: ctx.progressDeadlineSeconds,
    });
  }

  private async service(cluster: ClusterRef, ctx: RolloutContext, role: ServiceRole, track: Track | null, revision: number): Promise<void> {
    await this.gateway.applyService(cluster, {
      application: ctx.application,
      namespace: ctx.namespace,
      role,
      targetTrack: track,
      ports: SERVICE_PORTS,
      rolloutId: ctx.rolloutId,
      revision,
    });
  }

  /** `main` splits traffic by replica ratio across both tracks; `stable` and `canary` reach one each. */
  private async canaryServices(cluster: ClusterRef, ctx: RolloutContext, revision: number): Promise<void> {
    await Promise.all([
      this.service(cluster, ctx, 'main', null, revision),
      this.service(cluster, ctx, 'stable', 'stable', revision),
      this.service(cluster, ctx, 'canary', 'canary', revision),
    ]);
  }
}

function noteOf(route: GatewayParentRef | null): Record<string, string> {
  if (!route) return {};
  return route.namespace ? { [NOTE_GATEWAY]: route.name, [NOTE_GATEWAY_NAMESPACE]: route.namespace } : { [NOTE_GATEWAY]: route.name };
}

/** Ready means: this version, at this size, all updated and available (as `kubectl rollout status` judges). */
export function judge(status: WorkloadStatus, track: Track, version: string, replicas: number): Observation {
  if (status.progress === 'failed') {
    return { state: 'failed', reason: `${track} did not become ready: progress deadline exceeded` };
  }
  if (status.version !== version) return { state: 'waiting', detail: `${track} runs ${status.version ?? 'unknown'}, not ${version} yet` };
  if (status.desiredReplicas !== replicas) return { state: 'waiting', detail: `${track} asks for ${status.desiredReplicas} replicas, not ${replicas}` };
  if (status.progress !== 'complete' || status.readyReplicas < replicas) {
    return { state: 'waiting', detail: `${track}: ${status.readyReplicas}/${replicas} ready` };
  }
  return ready();
}
