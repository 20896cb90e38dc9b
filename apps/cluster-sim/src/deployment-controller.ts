import { shortHash, stableStringify, type KubeObject } from './json.js';
import type { ObjectStore } from './object-store.js';
import type { PodFault } from './pod-faults.js';
import { findResource } from './resources.js';

interface SimPod {
  readonly templateHash: string;
  /** When the pod passes readiness; null when it never will. */
  readyAt: number | null;
  ready: boolean;
  crashAfterMs: number | null;
  crashAt: number | null;
  crashed: boolean;
}

interface DeploymentSim {
  pods: SimPod[];
  templateHash: string;
  /** When the rollout last made progress (pod created, became ready, old pod removed). */
  lastProgressAt: number;
  deadlineExceeded: boolean;
  /** Template hashes this Deployment has had, for NewReplicaSetCreated vs ReplicaSetUpdated. */
  knownHashes: Set<string>;
  lastStatus: string;
}

export interface ControllerTiming {
  /** Time for one new pod to become ready; pods are brought up one after another. */
  readonly msPerReplica: number;
  /** Overrides spec.progressDeadlineSeconds when set (tests want seconds to be milliseconds). */
  readonly progressDeadlineMs?: number;
}

const DEPLOYMENTS = findResource('apps', 'deployments')!;

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** `25%` of 7 → 1 (round down, as maxUnavailable does); an int stays an int. */
function scaledValue(value: unknown, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(String(value ?? '25%'));
  const pct = m ? Number(m[1]) : 25;
  const raw = (total * pct) / 100;
  return roundUp ? Math.ceil(raw) : Math.floor(raw);
}

/**
 * A stand-in for the Deployment and ReplicaSet controllers of one cluster. It keeps
 * imaginary pods per Deployment and, on every tick, moves them one step toward the
 * spec, then writes status the way the real controller does (observedGeneration,
 * replicas, updatedReplicas, readyReplicas, availableReplicas, conditions).
 *
 * A rolling update of 3 replicas from template A to B, msPerReplica = 500:
 *   t=0     B1 created (not ready)        replicas 4, updated 1, available 3
 *   t=500   B1 ready, one A pod removed   replicas 3, updated 1, available 3
 *   t=500   B2 created ...                and so on: complete after ~1.5 s.
 * maxUnavailable (25 % of replicas, rounded down) lets old pods go before new ones are
 * ready: with 4 replicas one A pod is removed at t=0.
 */
export class DeploymentController {
  private readonly sims = new Map<string, DeploymentSim>();
  private readonly active = new Set<string>();

  constructor(
    private readonly store: ObjectStore,
    private readonly timing: () => ControllerTiming,
    private readonly faultFor: (image: string) => PodFault | undefined,
  ) {
    store.onDeploymentChange = (key) => {
      if (!store.find('deployments', key)) this.sims.delete(key);
      this.active.add(key);
    };
  }

  /** Deployments still moving (or waiting to time out); the fleet's tick skips idle clusters. */
  get busy(): boolean {
    return this.active.size > 0;
  }

  tick(now: number): void {
    for (const key of [...this.active]) {
      const deployment = this.store.find('deployments', key);
      if (!deployment) {
        this.active.delete(key);
        this.sims.delete(key);
        continue;
      }
      const settled = this.step(key, deployment, now);
      if (settled) this.active.delete(key);
    }
  }

  /** Pod counts of a Deployment, for tests that want to look inside. */
  pods(key: string): { ready: number; total: number; crashed: number } {
    const sim = this.sims.get(key);
    if (!sim) return { ready: 0, total: 0, crashed: 0 };
    return { ready: sim.pods.filter((p) => p.ready).length, total: sim.pods.length, crashed: sim.pods.filter((p) => p.crashed).length };
  }

  /** Moves one Deployment one step; returns true when nothing more will happen without a new spec. */
  private step(key: string, d: KubeObject, now: number): boolean {
    const timing = this.timing();
    const templateHash = shortHash(stableStringify(d.spec.template));
    let sim = this.sims.get(key);
    if (!sim) {
      sim = { pods: [], templateHash, lastProgressAt: now, deadlineExceeded: false, knownHashes: new Set(), lastStatus: '' };
      this.sims.set(key, sim);
    }
    if (sim.templateHash !== templateHash || sim.lastStatus === '' || d.metadata.generation !== d.status?.observedGeneration) {
      // A new spec restarts the progress clock, as the real controller does.
      if (sim.templateHash !== templateHash) sim.knownHashes.add(sim.templateHash);
      sim.templateHash = templateHash;
      sim.lastProgressAt = now;
      sim.deadlineExceeded = false;
    }
    const desired: number = d.spec.replicas ?? 1;
    const strategy = d.spec.strategy?.rollingUpdate ?? {};
    const maxUnavailable = Math.min(desired, scaledValue(strategy.maxUnavailable, desired, false));
    let progressed = false;

    for (const pod of sim.pods) {
      if (!pod.ready && !pod.crashed && pod.readyAt !== null && now >= pod.readyAt) {
        pod.ready = true;
        pod.crashAt = pod.crashAfterMs === null ? null : now + pod.crashAfterMs;
        progressed = true;
      } else if (pod.ready && pod.crashAt !== null && now >= pod.crashAt) {
        pod.ready = false;
        pod.crashed = true;
      }
    }

    const isNew = (p: SimPod) => p.templateHash === templateHash;
    // Scale down surplus new pods at once, the not-ready ones first.
    let newPods = sim.pods.filter(isNew);
    if (newPods.length > desired) {
      const surplus = [...newPods].sort((a, b) => Number(a.ready) - Number(b.ready)).slice(0, newPods.length - desired);
      sim.pods = sim.pods.filter((p) => !surplus.includes(p));
      progressed = true;
      newPods = sim.pods.filter(isNew);
    }
    // Bring new pods up one at a time: the next starts once the previous one is ready (or dead).
    const pending = newPods.some((p) => !p.ready && !p.crashed);
    if (newPods.length < desired && !pending) {
      const image = String(d.spec.template.spec.containers[0]?.image ?? '');
      const fault = this.faultFor(image);
      const startMs = fault?.kind === 'slow-start' ? fault.readyAfterMs : timing.msPerReplica;
      sim.pods.push({
        templateHash,
        readyAt: fault?.kind === 'never-ready' ? null : now + startMs,
        ready: false,
        crashAfterMs: fault?.kind === 'crash' ? fault.afterMs : null,
        crashAt: null,
        crashed: false,
      });
      progressed = true;
    }
    // Retire old pods: not-ready ones freely, ready ones while availability stays ≥ desired - maxUnavailable.
    const old = sim.pods.filter((p) => !isNew(p));
    if (old.length > 0) {
      const notReady = old.find((p) => !p.ready);
      const readyCount = sim.pods.filter((p) => p.ready).length;
      const allNewReady = newPods.length >= desired && newPods.every((p) => p.ready);
      const victim = notReady ?? (allNewReady || readyCount - 1 >= desired - maxUnavailable ? old[0] : undefined);
      if (victim) {
        sim.pods = sim.pods.filter((p) => p !== victim);
        progressed = true;
      }
    }
    if (progressed) sim.lastProgressAt = now;

    const updated = sim.pods.filter(isNew).length;
    const total = sim.pods.length;
    const ready = sim.pods.filter((p) => p.ready).length;
    const complete = updated === desired && total === updated && sim.pods.every((p) => p.ready);
    const deadlineMs = timing.progressDeadlineMs ?? (d.spec.progressDeadlineSeconds ?? 600) * 1000;
    if (!complete && !progressed && now - sim.lastProgressAt > deadlineMs) sim.deadlineExceeded = true;

    const rsName = `${d.metadata.name}-${templateHash}`;
    const previous: any[] = d.status?.conditions ?? [];
    const availableOk = ready >= desired - maxUnavailable;
    let progressing: { status: string; reason: string; message: string };
    if (sim.deadlineExceeded) progressing = { status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rsName}" has timed out progressing.` };
    else if (complete) progressing = { status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` };
    else if (sim.knownHashes.size === 0 && previous.length === 0) progressing = { status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${rsName}"` };
    else progressing = { status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.` };
    const available = availableOk
      ? { status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
      : { status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' };
    const condition = (type: string, c: { status: string; reason: string; message: string }) => {
      const before = previous.find((p) => p.type === type);
      const same = before && before.status === c.status && before.reason === c.reason && before.message === c.message;
      return {
        type,
        ...c,
        lastUpdateTime: same ? before.lastUpdateTime : rfc3339(now),
        lastTransitionTime: before && before.status === c.status ? before.lastTransitionTime : rfc3339(now),
      };
    };
    // Zero counts are omitted, as the real API's omitempty does.
    const status: Record<string, unknown> = { observedGeneration: d.metadata.generation };
    if (total) status['replicas'] = total;
    if (updated) status['updatedReplicas'] = updated;
    if (ready) status['readyReplicas'] = ready;
    if (ready) status['availableReplicas'] = ready;
    if (desired - ready > 0) status['unavailableReplicas'] = desired - ready;
    status['conditions'] = [condition('Available', available), condition('Progressing', progressing)];

    const fingerprint = JSON.stringify(status);
    if (fingerprint !== sim.lastStatus) {
      sim.lastStatus = fingerprint;
      this.store.update(DEPLOYMENTS, d.metadata.namespace!, d.metadata.name, { ...d, status } as KubeObject, { subresource: 'status' });
    }
    const crashPending = sim.pods.some((p) => p.ready && p.crashAt !== null);
    return (complete && !crashPending) || sim.deadlineExceeded;
  }
}
