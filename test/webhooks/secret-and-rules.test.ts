import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { SecretCipher } from '#infra/crypto/secret-cipher.js';
import { hashSecret, tokenMatches } from '../../apps/api/src/webhooks/webhook-signatures.js';
import { formRelease, globToRegExp, type RuleSpec } from '../../apps/api/src/webhooks/webhook-rules.js';

describe('webhook secret cipher', () => {
  it('without CIRCLE_SECRET_KEY derives a key once per data dir, on first use, readable by owner only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'circle-key-'));
    try {
      const first = SecretCipher.fromConfig({ CIRCLE_DATA_DIR: dir });
      expect(existsSync(join(dir, 'webhook-secret.key'))).toBe(false);
      const sealed = first.encrypt('s3cret-value');
      expect(sealed).not.toContain('s3cret');
      expect(statSync(join(dir, 'webhook-secret.key')).mode & 0o777).toBe(0o600);
      expect(SecretCipher.fromConfig({ CIRCLE_DATA_DIR: dir }).decrypt(sealed)).toBe('s3cret-value');
      const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'B' : 'A') + sealed.slice(-1);
      expect(() => first.decrypt(tampered)).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('uses CIRCLE_SECRET_KEY when set, and compares tokens by hash', () => {
    const key = Buffer.alloc(32, 3).toString('base64');
    const sealed = SecretCipher.fromConfig({ CIRCLE_SECRET_KEY: key, CIRCLE_DATA_DIR: '/nonexistent' }).encrypt('abc');
    expect(SecretCipher.fromConfig({ CIRCLE_SECRET_KEY: key, CIRCLE_DATA_DIR: '/nonexistent' }).decrypt(sealed)).toBe('abc');
    expect(tokenMatches('abc', hashSecret('abc'))).toBe(true);
    expect(tokenMatches('abd', hashSecret('abc'))).toBe(false);
  });
});

describe('trigger rules', () => {
  const rule: RuleSpec = {
    repository: 'acme/shop', provider: 'github', application: 'shop', branchPattern: 'main', tagPattern: 'v*',
    image: 'ghcr.io/acme/shop:{shortSha}', container: 'web', versionTemplate: null, action: 'register', environment: null, strategy: null, supersede: false,
  };

  it('globs: * stays within a segment, ** crosses them', () => {
    expect(globToRegExp('release/*').test('release/1.2')).toBe(true);
    expect(globToRegExp('release/*').test('release/a/b')).toBe(false);
    expect(globToRegExp('release/**').test('release/a/b')).toBe(true);
    expect(globToRegExp('v?.*').test('v1.2.3')).toBe(true);
  });

  it('forms semver-valid versions from branches and tags', () => {
    expect(formRelease(rule, { repository: 'acme/shop', kind: 'branch', name: 'feature/Login_2', commit: '0123456789abcdef' })).toEqual({
      version: '0.0.0-feature-Login-2.g0123456',
      image: { name: 'web', repository: 'ghcr.io/acme/shop', tag: '0123456' },
    });
    expect(formRelease({ ...rule, image: 'ghcr.io/acme/shop:{tag}' }, { repository: 'acme/shop', kind: 'tag', name: 'v1.4.2', commit: null })).toEqual({
      version: '1.4.2',
      image: { name: 'web', repository: 'ghcr.io/acme/shop', tag: 'v1.4.2' },
    });
    expect(formRelease(rule, { repository: 'acme/shop', kind: 'tag', name: 'nightly', commit: 'abc1234' })).toEqual({ refused: "'nightly' is not a semantic version" });
    expect(formRelease(rule, { repository: 'acme/shop', kind: 'branch', name: 'main', commit: null })).toMatchObject({ refused: expect.stringContaining('no commit') });
  });
});
