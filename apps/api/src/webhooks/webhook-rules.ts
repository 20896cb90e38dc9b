import type { Strategy } from '#domain';

export const PROVIDERS = ['github', 'gitlab', 'generic'] as const;
export type Provider = (typeof PROVIDERS)[number];

/** What a rule does with a matching push or tag. */
export interface RuleSpec {
  repository: string;
  provider: Provider;
  application: string;
  branchPattern: string | null;
  tagPattern: string | null;
  /** e.g. `registry.example.com/shop:{shortSha}`; placeholders: {sha} {shortSha} {branch} {tag} {version}. */
  image: string;
  /** Container the image goes into. */
  container: string;
  /** Release version; default `{version}` for tags (the tag without a leading v), `0.0.0-{branch}.{shortSha}` for branches. */
  versionTemplate: string | null;
  action: 'register' | 'deploy';
  environment: string | null;
  strategy: Strategy | null;
  supersede: boolean;
}

export interface WebhookRule extends RuleSpec {
  id: string;
  createdBy: string;
  createdAt: string;
}

/** A push or tag, provider-neutral: what rules are matched against. */
export interface GitChange {
  repository: string;
  kind: 'branch' | 'tag';
  name: string;
  commit: string | null;
}

/** `*` matches within a path segment, `**` across segments, `?` one character. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i += 1) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      source += '.*';
      i += 1;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

export function ruleMatches(rule: RuleSpec, change: GitChange, provider: Provider): boolean {
  if (rule.provider !== provider || rule.repository.toLowerCase() !== change.repository.toLowerCase()) return false;
  const pattern = change.kind === 'branch' ? rule.branchPattern : rule.tagPattern;
  return pattern !== null && globToRegExp(pattern).test(change.name);
}

/** A semver prerelease identifier: [0-9A-Za-z-] only; an all-digit one may not start with 0 (a short sha can), so it gets a g like git describe's. */
function identifier(raw: string): string {
  const cleaned = raw.replace(/[^0-9A-Za-z-]+/g, '-').replace(/^-+|-+$/g, '') || 'x';
  return /^0\d+$/.test(cleaned) ? `g${cleaned}` : cleaned;
}

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

export interface FormedRelease {
  version: string;
  image: { name: string; repository: string; tag: string };
}

/** The release a rule makes of a change, or why it cannot. */
export function formRelease(rule: RuleSpec, change: GitChange): FormedRelease | { refused: string } {
  const sha = change.commit ?? '';
  const shortSha = sha.slice(0, 7);
  const tagVersion = change.kind === 'tag' ? change.name.replace(/^v(?=\d)/, '') : '';
  const needsSha = (t: string) => /\{(short)?[sS]ha\}/.test(t);
  const template = rule.versionTemplate ?? (change.kind === 'tag' ? '{version}' : '0.0.0-{branch}.{shortSha}');
  if ((needsSha(template) || needsSha(rule.image)) && sha === '') {
    return { refused: 'the event carries no commit, and the rule needs one ({sha} or {shortSha})' };
  }
  const version = template
    .replaceAll('{version}', tagVersion)
    .replaceAll('{tag}', change.kind === 'tag' ? change.name : '')
    .replaceAll('{branch}', change.kind === 'branch' ? identifier(change.name) : '')
    .replaceAll('{shortSha}', identifier(shortSha))
    .replaceAll('{sha}', identifier(sha));
  if (!SEMVER.test(version)) return { refused: `'${version}' is not a semantic version` };
  const reference = rule.image
    .replaceAll('{version}', tagVersion || version)
    .replaceAll('{tag}', change.kind === 'tag' ? change.name : '')
    .replaceAll('{branch}', change.kind === 'branch' ? change.name.replace(/[^A-Za-z0-9_.-]+/g, '-') : '')
    .replaceAll('{shortSha}', shortSha)
    .replaceAll('{sha}', sha);
  const colon = reference.lastIndexOf(':');
  if (colon <= reference.lastIndexOf('/') || colon === reference.length - 1) {
    return { refused: `image '${reference}' has no tag` };
  }
  return { version, image: { name: rule.container, repository: reference.slice(0, colon), tag: reference.slice(colon + 1) } };
}
