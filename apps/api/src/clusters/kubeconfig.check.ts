import { KubeConfig } from '@kubernetes/client-node';
import { ApiError } from '../common/problem.js';

/**
 * Refuses, at registration, an inline kubeconfig the worker could not use, with the
 * same rules as KubeClientFactory's default: a broken one would otherwise only surface
 * at the first rollout. Messages never quote the kubeconfig (the parser's own message
 * may echo a line holding a token), and local credentials (exec, auth-provider, file
 * paths) are refused because whoever registers must not get to run commands or read
 * files on the worker.
 */
export function assertUsableKubeconfig(text: string): void {
  const invalid = (reason: string) =>
    new ApiError(400, 'KUBECONFIG_INVALID', `kubeconfig ${reason}`, { errors: [{ field: 'kubeconfig', message: reason }] });
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
  const user = kc.getCurrentUser();
  if (user?.exec || user?.authProvider) throw invalid('exec and auth-provider credentials are not accepted; use a token or a client certificate');
  if (user?.certFile || user?.keyFile || cluster.caFile || (user as { tokenFile?: string } | null)?.tokenFile) {
    throw invalid('file references are not accepted; embed the data (token, client-certificate-data, certificate-authority-data)');
  }
}
