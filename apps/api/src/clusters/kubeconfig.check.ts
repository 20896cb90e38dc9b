import { KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { ApiError } from '../common/problem.js';

type Entries = { [key: string]: unknown }[];

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const entries = (value: unknown, key: string): Entries =>
  (Array.isArray(value) ? value : []).map((e) => (isRecord(e) && isRecord(e[key]) ? e[key] : {}));

/**
 * Refuses, at registration, an inline kubeconfig the worker could not or must not use,
 * so a broken one does not first surface at a rollout.
 *
 * Local credentials are checked on the raw document, before client-node sees it:
 * `loadFromString` itself reads a `token-file` from disk, so an unchecked kubeconfig
 * could make the API read a file of the registrant's choosing; `exec` would make the
 * worker run a command. Messages never quote the kubeconfig (a parser's message may
 * echo a line holding a token).
 */
export function assertUsableKubeconfig(text: string): void {
  const invalid = (reason: string) =>
    new ApiError(400, 'KUBECONFIG_INVALID', `kubeconfig ${reason}`, { errors: [{ field: 'kubeconfig', message: reason }] });
  let raw: unknown;
  try {
    raw = parse(text);
  } catch {
    throw invalid('is not a parsable kubeconfig');
  }
  if (!isRecord(raw)) throw invalid('is not a parsable kubeconfig');
  const users = entries(raw.users, 'user');
  if (users.some((u) => 'exec' in u || 'auth-provider' in u)) {
    throw invalid('exec and auth-provider credentials are not accepted; use a token or a client certificate');
  }
  const fileKeys = ['token-file', 'tokenFile', 'client-certificate', 'client-key'];
  if (users.some((u) => fileKeys.some((k) => k in u)) || entries(raw.clusters, 'cluster').some((c) => 'certificate-authority' in c)) {
    throw invalid('file references are not accepted; embed the data (token, client-certificate-data, certificate-authority-data)');
  }

  const kc = new KubeConfig();
  try {
    kc.loadFromString(text);
  } catch {
    throw invalid('is not a parsable kubeconfig');
  }
  const cluster = kc.getCurrentCluster();
  if (!kc.getCurrentContext() || !cluster?.server) throw invalid('needs a current-context whose cluster has a server');
  let url: URL;
  try {
    url = new URL(cluster.server);
  } catch {
    throw invalid('cluster server is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid(`cluster server must be https:// (or http://), not ${url.protocol}`);
  if (url.protocol === 'http:' && !cluster.skipTLSVerify) throw invalid('an http:// server needs insecure-skip-tls-verify: true');
}
