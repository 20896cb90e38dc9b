import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Injection token of the SecretCipher (built from configuration, see webhooks.module.ts). */
export const SECRET_CIPHER = Symbol('SecretCipher');

/**
 * AES-256-GCM for webhook secrets at rest. HMAC verification needs the secret itself,
 * so a hash is not enough for GitHub; GCM also authenticates, so a tampered row fails
 * to decrypt instead of yielding a wrong secret.
 */
export class SecretCipher {
  private loaded: Buffer | null = null;

  /** `loadKey` runs on first use, so an API that never sees a webhook secret writes no key file. */
  constructor(private readonly loadKey: () => Buffer) {}

  private get key(): Buffer {
    if (this.loaded === null) {
      const key = this.loadKey();
      if (key.length !== 32) throw new Error('the webhook secret key must be 32 bytes');
      this.loaded = key;
    }
    return this.loaded;
  }

  /** The key from CIRCLE_SECRET_KEY, else one generated once and kept under the data dir. */
  static fromConfig(config: { CIRCLE_SECRET_KEY?: string; CIRCLE_DATA_DIR: string }): SecretCipher {
    const configured = config.CIRCLE_SECRET_KEY;
    if (configured) return new SecretCipher(() => Buffer.from(configured, 'base64'));
    return new SecretCipher(() => {
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
    if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('unknown webhook secret encoding');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
  }
}

export const hashSecret = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');

/** Compares a presented token with a stored hash; hashing first makes the lengths equal, so nothing leaks through timing. */
export function tokenMatches(presented: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(presented), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
