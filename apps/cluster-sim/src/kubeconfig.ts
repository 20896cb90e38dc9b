import YAML from 'yaml';

/**
 * A kubeconfig for one simulated cluster. Over plain http, `insecure-skip-tls-verify:
 * true` is set because client-node refuses http:// servers without it; over https the
 * fleet CA is embedded. The user has a bearer token or a client certificate.
 */
export function buildKubeconfig(opts: {
  name: string;
  server: string;
  token?: string;
  caPem?: string;
  clientCertPem?: string;
  clientKeyPem?: string;
  namespace?: string;
}): string {
  const user = `${opts.name}-admin`;
  const b64 = (pem: string) => Buffer.from(pem, 'utf8').toString('base64');
  const cluster: Record<string, unknown> = { server: opts.server };
  if (opts.caPem) cluster['certificate-authority-data'] = b64(opts.caPem);
  else cluster['insecure-skip-tls-verify'] = true;
  const credentials: Record<string, unknown> = {};
  if (opts.token) credentials['token'] = opts.token;
  if (opts.clientCertPem && opts.clientKeyPem) {
    credentials['client-certificate-data'] = b64(opts.clientCertPem);
    credentials['client-key-data'] = b64(opts.clientKeyPem);
  }
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [{ name: opts.name, cluster }],
    users: [{ name: user, user: credentials }],
    contexts: [{ name: opts.name, context: { cluster: opts.name, user, namespace: opts.namespace ?? 'default' } }],
    'current-context': opts.name,
  });
}
