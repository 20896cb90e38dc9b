import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

/**
 * Just enough X.509 to give the simulator TLS without openssl or a committed key:
 * a throw-away CA per fleet, a server certificate for the loopback addresses, and
 * client certificates for kubeconfigs that authenticate with one. Keys are ECDSA
 * P-256, signatures ecdsa-with-SHA256, encoded in DER by hand below.
 *
 * Why TLS at all: client-go (kubectl) never sends a bearer token to an http://
 * server (kubernetes/kubectl#744), so a token-protected simulator needs https for
 * kubectl. client-node sends it either way.
 */

// ---- DER ---------------------------------------------------------------------------

function tlv(tag: number, content: Buffer): Buffer {
  const len = content.length;
  let header: Buffer;
  if (len < 0x80) header = Buffer.from([tag, len]);
  else {
    const bytes: number[] = [];
    for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
    header = Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([header, content]);
}

const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
const explicit = (n: number, inner: Buffer) => tlv(0xa0 + n, inner);
const octets = (b: Buffer) => tlv(0x04, b);
const bits = (b: Buffer) => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]));

function integer(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const trimmed = b.subarray(i);
  return tlv(0x02, trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out = [parts[0]! * 40 + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk = [p & 0x7f];
    for (let n = Math.floor(p / 128); n > 0; n = Math.floor(n / 128)) chunk.unshift((n & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(d: Date): Buffer {
  // UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5).
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso));
}

function name(commonName: string, organization?: string): Buffer {
  const rdns = [set(seq(oid('2.5.4.3'), utf8(commonName)))];
  if (organization) rdns.unshift(set(seq(oid('2.5.4.10'), utf8(organization))));
  return seq(...rdns);
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

/** keyUsage bits, first bit leftmost: digitalSignature(0) keyEncipherment(2) keyCertSign(5). */
function keyUsage(usages: ('digitalSignature' | 'keyEncipherment' | 'keyCertSign')[]): Buffer {
  const index = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5 };
  let byte = 0;
  for (const u of usages) byte |= 0x80 >> index[u];
  return tlv(0x03, Buffer.from([0, byte]));
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

// ---- certificates ------------------------------------------------------------------

export interface IssuedCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface CertificateAuthority extends IssuedCertificate {
  readonly key: KeyObject;
  readonly subject: Buffer;
}

function toPem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function issue(opts: {
  subject: Buffer;
  issuer: Buffer;
  publicKey: KeyObject;
  signer: KeyObject;
  days: number;
  extensions: Buffer[];
}): string {
  const now = Date.now();
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(Buffer.concat([Buffer.from([0x01]), randomBytes(15)])),
    ECDSA_SHA256,
    opts.issuer,
    seq(time(new Date(now - 3600_000)), time(new Date(now + opts.days * 86_400_000))),
    opts.subject,
    opts.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, seq(...opts.extensions)),
  );
  const signature = sign('sha256', tbs, opts.signer);
  return toPem('CERTIFICATE', seq(tbs, ECDSA_SHA256, bits(signature)));
}

function newKey(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

function keyPem(k: KeyObject): string {
  return k.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** A self-signed CA, valid for `days`. */
export function createCertificateAuthority(commonName = 'circle-cluster-sim-ca', days = 365): CertificateAuthority {
  const { privateKey, publicKey } = newKey();
  const subject = name(commonName);
  const certPem = issue({
    subject,
    issuer: subject,
    publicKey,
    signer: privateKey,
    days,
    extensions: [extension('2.5.29.19', true, seq(bool(true))), extension('2.5.29.15', true, keyUsage(['digitalSignature', 'keyCertSign']))],
  });
  return { certPem, keyPem: keyPem(privateKey), key: privateKey, subject };
}

/** A server certificate for the given IPs and DNS names, signed by `ca`. */
export function issueServerCertificate(ca: CertificateAuthority, hosts: { ips: string[]; dns: string[] }, days = 365): IssuedCertificate {
  const { privateKey, publicKey } = newKey();
  const san = seq(
    ...hosts.dns.map((d) => tlv(0x82, Buffer.from(d))),
    ...hosts.ips.map((ip) => tlv(0x87, Buffer.from(ip.split('.').map(Number)))),
  );
  const certPem = issue({
    subject: name('circle-cluster-sim'),
    issuer: ca.subject,
    publicKey,
    signer: ca.key,
    days,
    extensions: [
      extension('2.5.29.19', true, seq()),
      extension('2.5.29.15', true, keyUsage(['digitalSignature', 'keyEncipherment'])),
      extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))),
      extension('2.5.29.17', false, san),
    ],
  });
  return { certPem, keyPem: keyPem(privateKey) };
}

/** A client certificate (CN = user, O = group) signed by `ca`, for kubeconfig client-certificate auth. */
export function issueClientCertificate(ca: CertificateAuthority, user: string, group = 'system:masters', days = 365): IssuedCertificate {
  const { privateKey, publicKey } = newKey();
  const certPem = issue({
    subject: name(user, group),
    issuer: ca.subject,
    publicKey,
    signer: ca.key,
    days,
    extensions: [
      extension('2.5.29.19', true, seq()),
      extension('2.5.29.15', true, keyUsage(['digitalSignature'])),
      extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.2'))),
    ],
  });
  return { certPem, keyPem: keyPem(privateKey) };
}

/** Parses a PEM private key, to fail early on a broken one. */
export function assertPrivateKey(pem: string): void {
  createPublicKey(createPrivateKey(pem));
}
