import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Injection token of the process's SecretCipher (provided by DatabaseModule). */
export const SECRET_CIPHER = Symbol('SecretCipher');

/**
 * AES-256-GCM for secrets at rest: git webhook secrets and inline kubeconfigs. Both must
 * be read back in full (an HMAC check needs the webhook secret, the gateway the
 * kubeconfig), so a hash would not do; GCM also authenticates, so a tampered row fails
 * to decrypt instead of yielding a wrong secret.
 */
export class SecretCipher {
  private loaded: Buffer | null = null;

  /** `loadKey` runs on first use, so a process that never handles a secret writes no key file. */
  constructor(private readonly loadKey: () => Buffer) {}

  private get key(): Buffer {
    if (this.loaded === null) {
      const key = this.loadKey();
      if (key.length !== 32) throw new Error('the secret key must be 32 bytes');
      this.loaded = key;
    }
    return this.loaded;
  }

  /** The key from CIRCLE_SECRET_KEY, else one generated once and kept under the data dir. */
  static fromConfig(config: { CIRCLE_SECRET_KEY?: string; CIRCLE_DATA_DIR: string }): SecretCipher {
    const configured = config.CIRCLE_SECRET_KEY;
    if (configured) return new SecretCipher(() => Buffer.from(configured, 'base64'));
    return new SecretCipher(() => {
      // The name predates kubeconfig encryption; it is kept so existing data stays readable.
      const file = join(config.CIRCLE_DATA_DIR, 'webhook-secret.key');
      try {
        return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      mkdirSync(config.CIRCLE_DATA_DIR, { recursive: true });
      const key = randomBytes(32);
      // 'wx' fails if another process wrote the key first; then that key is the one.
      try {
        writeFileSync(file, key.toString('base64'), { mode: 0o600, flag: 'wx' });
        return key;
      } catch {
        return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
      }
    });
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join(':');
  }

  decrypt(sealed: string): string {
    const [version, iv, tag, data] = sealed.split(':');
    if (!SecretCipher.isSealed(sealed) || !iv || !tag || data === undefined) throw new Error(`unknown sealed secret encoding ${version ?? ''}`.trim());
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
  }

  /** A stored value in the clear: decrypted when sealed, as is when written before encryption at rest. */
  reveal(stored: string): string {
    return SecretCipher.isSealed(stored) ? this.decrypt(stored) : stored;
  }

  /** Whether a stored value is sealed by this class (rows written before encryption are not). */
  static isSealed(stored: string): boolean {
    return /^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]*$/.test(stored);
  }
}
