import type { GitChange } from './webhook-rules.js';

/** What an event asks for: a change to match against rules, or nothing and why. */
export type ParsedEvent =
  | { kind: 'change'; change: GitChange; ref: string }
  | { kind: 'ignored'; reason: string; repository: string | null; ref: string | null; commit: string | null }
  | { kind: 'ping'; repository: string | null };

const ZERO_SHA = /^0+$/;
type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 && v.length <= 1024 ? v : null);
const SHA = /^[0-9a-f]{7,64}$/i;
/**
 * A commit id, or null: only hex is a git SHA, and only hex is safe to slice into
 * {shortSha} (the first 7 UTF-16 units of "🚀🚀🚀🚀" end inside a surrogate pair,
 * which Postgres then refuses to store).
 */
const sha = (v: unknown): string | null => {
  const value = str(v);
  return value !== null && SHA.test(value) ? value : null;
};

/** `owner/name` of the repository an event is about; payloads are untrusted, so every field is checked. */
export function githubRepository(body: unknown): string | null {
  return str(obj(obj(body).repository).full_name);
}

function fromRef(repository: string, ref: string, commit: string | null): ParsedEvent {
  if (ref.startsWith('refs/heads/')) return { kind: 'change', change: { repository, kind: 'branch', name: ref.slice(11), commit }, ref };
  if (ref.startsWith('refs/tags/')) return { kind: 'change', change: { repository, kind: 'tag', name: ref.slice(10), commit }, ref };
  return { kind: 'ignored', reason: `ref '${ref}' is neither a branch nor a tag`, repository, ref, commit };
}

export function parseGithub(event: string, body: unknown): ParsedEvent {
  const payload = obj(body);
  const repository = githubRepository(body);
  if (event === 'ping') return { kind: 'ping', repository };
  if (repository === null) return { kind: 'ignored', reason: 'the payload names no repository', repository: null, ref: null, commit: null };
  switch (event) {
    case 'push': {
      const ref = str(payload.ref);
      const after = sha(payload.after);
      if (ref === null) return { kind: 'ignored', reason: 'push without a ref', repository, ref: null, commit: after };
      if (payload.deleted === true || (after !== null && ZERO_SHA.test(after))) {
        return { kind: 'ignored', reason: `push deleted ${ref}`, repository, ref, commit: null };
      }
      return fromRef(repository, ref, after);
    }
    case 'create': {
      const ref = str(payload.ref);
      if (payload.ref_type !== 'tag' || ref === null) {
        return { kind: 'ignored', reason: `create of a ${String(payload.ref_type)} (only tags are acted on; branch pushes come as push events)`, repository, ref, commit: null };
      }
      // A create event carries no commit; rules for tags use {tag}/{version}.
      return fromRef(repository, `refs/tags/${ref}`, null);
    }
    case 'release': {
      const release = obj(payload.release);
      const tag = str(release.tag_name);
      if (payload.action !== 'published') {
        return { kind: 'ignored', reason: `release action '${String(payload.action)}' (only published is acted on)`, repository, ref: tag, commit: null };
      }
      if (tag === null) return { kind: 'ignored', reason: 'release without a tag_name', repository, ref: null, commit: null };
      return fromRef(repository, `refs/tags/${tag}`, null);
    }
    default:
      return { kind: 'ignored', reason: `event '${event}' is not one circle acts on (ping, push, create, release)`, repository, ref: null, commit: null };
  }
}

/** GitLab names the repository `path_with_namespace` (groups may nest: `group/sub/name`). */
export function gitlabRepository(body: unknown): string | null {
  return str(obj(obj(body).project).path_with_namespace);
}

export function parseGitlab(event: string, body: unknown): ParsedEvent {
  const payload = obj(body);
  const repository = gitlabRepository(body);
  if (event !== 'Push Hook' && event !== 'Tag Push Hook') {
    return { kind: 'ignored', reason: `event '${event}' is not one circle acts on (Push Hook, Tag Push Hook)`, repository, ref: null, commit: null };
  }
  if (repository === null) return { kind: 'ignored', reason: 'the payload names no project', repository: null, ref: null, commit: null };
  const ref = str(payload.ref);
  const after = sha(payload.checkout_sha) ?? sha(payload.after);
  if (ref === null) return { kind: 'ignored', reason: 'push without a ref', repository, ref: null, commit: after };
  if (after === null || ZERO_SHA.test(after)) return { kind: 'ignored', reason: `push deleted ${ref}`, repository, ref, commit: null };
  return fromRef(repository, ref, after);
}

/** The generic receiver takes `{repository, ref, commit}` from any git server. */
export function parseGeneric(body: unknown): ParsedEvent {
  const payload = obj(body);
  const repository = str(payload.repository);
  const ref = str(payload.ref);
  const commit = sha(payload.commit);
  if (repository === null || ref === null) {
    return { kind: 'ignored', reason: 'the payload needs repository and ref', repository, ref, commit };
  }
  return fromRef(repository, ref, commit);
}

export function genericRepository(body: unknown): string | null {
  return str(obj(body).repository);
}
