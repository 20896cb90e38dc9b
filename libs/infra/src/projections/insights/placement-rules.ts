import { canaryReplicaSplit, waveStages, type RolloutRequest, type Track } from '#domain';

/** One track of an application on one cluster: what it runs and how much traffic it takes. */
export interface TrackPlacement {
  track: Track;
  version: string;
  trafficPercent: number;
  replicas: number;
}

/** Facts the worker noted while applying (blue-green: which colour is new, which old). */
export type ClusterNote = Record<string, string>;

/** Share of traffic as the Service sees it: pods of a track over all pods, to 2 decimals. */
const share = (part: number, whole: number): number => (whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 100);

/**
 * The tracks of a cluster once the stage's action succeeded there; null when the stage
 * changes nothing a reader of placements would see (a gate, or a colour never noted).
 *
 * Worked example, canary 10 % of 7 replicas: canaryReplicaSplit gives canary 1, stable 6,
 * so the canary track takes 1/7 = 14.29 % of the traffic and the stable track 85.71 %.
 */
export function placementAfterStage(request: RolloutRequest, wave: number, stage: number, note: ClusterNote): TrackPlacement[] | null {
  const step = waveStages(request, wave)[stage];
  if (!step || step.type !== 'action') return null;
  const { version, currentVersion } = request;
  const replicas = request.strategy.replicas;
  const previous = currentVersion ?? version;
  const action = step.action;
  switch (action.kind) {
    case 'install':
      return [{ track: request.strategy.kind === 'canary' ? 'stable' : 'blue', version, trafficPercent: 100, replicas }];
    case 'canaryWeight': {
      const split = canaryReplicaSplit(replicas, action.weight);
      const canaryShare = share(split.canary, replicas);
      return [
        { track: 'canary', version, trafficPercent: canaryShare, replicas: split.canary },
        { track: 'stable', version: previous, trafficPercent: Math.round((100 - canaryShare) * 100) / 100, replicas: split.stable },
      ].filter((p) => p.replicas > 0) as TrackPlacement[];
    }
    case 'canaryFinalize':
      return [{ track: 'stable', version, trafficPercent: 100, replicas }];
    case 'blueGreenPreview': {
      const colours = noted(note);
      if (!colours) return null;
      // The new colour is up behind the preview Service and takes no traffic yet.
      if (!colours.old) return [{ track: colours.new, version, trafficPercent: 100, replicas }];
      return [
        { track: colours.old, version: previous, trafficPercent: 100, replicas },
        { track: colours.new, version, trafficPercent: 0, replicas },
      ];
    }
    case 'blueGreenPromote': {
      const colours = noted(note);
      if (!colours) return null;
      // The old colour stays warm (scaled up, no traffic) until scale-down.
      return colours.old
        ? [{ track: colours.new, version, trafficPercent: 100, replicas }, { track: colours.old, version: previous, trafficPercent: 0, replicas }]
        : [{ track: colours.new, version, trafficPercent: 100, replicas }];
    }
    case 'blueGreenScaleDown': {
      const colours = noted(note);
      return colours ? [{ track: colours.new, version, trafficPercent: 100, replicas }] : null;
    }
  }
}

/** The tracks after the cluster was put back as it was before the rollout (none after a first deploy). */
export function placementAfterRestore(request: RolloutRequest, note: ClusterNote): TrackPlacement[] {
  if (request.currentVersion === null) return [];
  const replicas = request.strategy.replicas;
  if (request.strategy.kind === 'canary') return [{ track: 'stable', version: request.currentVersion, trafficPercent: 100, replicas }];
  const track = (note.oldColor || 'blue') as Track;
  return [{ track, version: request.currentVersion, trafficPercent: 100, replicas }];
}

function noted(note: ClusterNote): { new: Track; old: Track | null } | null {
  if (!note.newColor) return null;
  return { new: note.newColor as Track, old: note.oldColor ? (note.oldColor as Track) : null };
}
