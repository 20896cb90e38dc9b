import { imageReference, releaseStreamId, type EventStore, type ReleaseEvent, type RolloutRequest } from '#domain';

/** Everything the cluster actions of one rollout need to know, resolved once per pass. */
export interface RolloutContext {
  request: RolloutRequest;
  rolloutId: string;
  application: string;
  namespace: string;
  replicas: number;
  progressDeadlineSeconds: number;
  target: { version: string; image: string };
  /** What ran before; null for a first deploy. */
  previous: { version: string; image: string } | null;
}

async function releaseImage(store: EventStore, application: string, version: string): Promise<string> {
  const [registered] = (await store.readStream(releaseStreamId(application, version))) as unknown as ReleaseEvent[];
  const image = registered?.data.images[0];
  if (!image) throw new Error(`release ${application}@${version} has no image`);
  return imageReference(image);
}

export async function loadRolloutContext(store: EventStore, request: RolloutRequest): Promise<RolloutContext> {
  return {
    request,
    rolloutId: request.rolloutId,
    application: request.application,
    // One namespace per application keeps teams' objects apart and makes
    // "everything of app X on cluster Y" one list call.
    namespace: request.application,
    replicas: request.strategy.replicas,
    progressDeadlineSeconds: request.strategy.progressDeadlineSeconds,
    target: { version: request.version, image: await releaseImage(store, request.application, request.version) },
    previous:
      request.currentVersion === null
        ? null
        : { version: request.currentVersion, image: await releaseImage(store, request.application, request.currentVersion) },
  };
}
