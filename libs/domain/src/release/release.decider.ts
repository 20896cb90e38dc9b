import semver from 'semver';
import type { Decider } from '../shared/decider.js';
import { DomainError } from '../shared/domain-error.js';
import type { ReleaseCommand, ReleaseContent, ReleaseImage } from './release.commands.js';
import type { ReleaseEvent } from './release.events.js';

export interface ReleaseState {
  content: ReleaseContent | null;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;
// Docker's tag grammar: up to 128 of [A-Za-z0-9_.-], not starting with '.' or '-'.
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
// Registry host (optional port) and lower-case path components, as the distribution spec allows.
const REPOSITORY = /^([a-z0-9.-]+(:[0-9]+)?\/)?[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

function validateImage(image: ReleaseImage): void {
  const problems: string[] = [];
  if (!REPOSITORY.test(image.repository)) problems.push(`repository '${image.repository}' is not a valid image repository`);
  if (image.tag === undefined && image.digest === undefined) problems.push('a tag or a digest is required');
  if (image.tag !== undefined && !TAG.test(image.tag)) problems.push(`tag '${image.tag}' is not a valid image tag`);
  if (image.digest !== undefined && !DIGEST.test(image.digest)) problems.push(`digest must look like sha256:<64 hex digits>`);
  if (problems.length > 0) {
    throw new DomainError('RELEASE_IMAGE_REFERENCE_INVALID', `image '${image.name}': ${problems.join('; ')}`, {
      image: image.name,
      problems,
    });
  }
}

/** Order-insensitive for images, so a client that lists containers differently is not told the release differs. */
function canonical(content: ReleaseContent): string {
  const images = [...content.images]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((i) => [i.name, i.repository, i.tag ?? null, i.digest ?? null]);
  return JSON.stringify([content.application, content.version, images, content.gitCommit ?? null, content.notes ?? null]);
}

/** The exact reference a cluster should pull: the digest when known, else the tag. */
export function imageReference(image: ReleaseImage): string {
  return image.digest !== undefined ? `${image.repository}@${image.digest}` : `${image.repository}:${image.tag ?? 'latest'}`;
}

function decide(command: ReleaseCommand, state: ReleaseState): ReleaseEvent[] {
  const { createdBy, now, ...content } = command.data;
  if (semver.valid(content.version) === null || semver.clean(content.version) !== content.version) {
    throw new DomainError('RELEASE_VERSION_INVALID', `'${content.version}' is not a semantic version such as 1.4.2`, {
      version: content.version,
    });
  }
  if (content.images.length === 0) {
    throw new DomainError('RELEASE_IMAGES_REQUIRED', 'a release needs at least one container image');
  }
  content.images.forEach(validateImage);
  if (new Set(content.images.map((i) => i.name)).size !== content.images.length) {
    throw new DomainError('RELEASE_IMAGE_REFERENCE_INVALID', 'container names must be unique within a release');
  }
  if (state.content !== null) {
    // Releases are immutable: the same content again is a retry; anything else would
    // make "version X" mean two different things.
    if (canonical(state.content) === canonical(content)) return [];
    throw new DomainError(
      'RELEASE_ALREADY_EXISTS',
      `${content.application}@${content.version} is already registered with different content; releases are immutable, register a new version`,
      { application: content.application, version: content.version },
    );
  }
  return [{ type: 'ReleaseRegistered', data: { ...content, createdBy, createdAt: now.toISOString() } }];
}

function evolve(_state: ReleaseState, event: ReleaseEvent): ReleaseState {
  const { createdBy: _by, createdAt: _at, ...content } = event.data;
  return { content };
}

export const releaseDecider: Decider<ReleaseCommand, ReleaseEvent, ReleaseState> = {
  decide,
  evolve,
  initialState: () => ({ content: null }),
};
