import type { Role } from '../auth/principal.js';

/**
 * Tokens live in api_tokens (secrets must be revocable and only hashed), but who issued
 * or revoked which token, when, is audit history, so it is also told in the log. These
 * events never carry the secret or its hash.
 */
export type TokenEvent =
  | {
      type: 'ApiTokenIssued';
      data: { id: string; name: string; role: Role; environments: string[]; expiresAt: string | null; issuedAt: string };
    }
  | { type: 'ApiTokenRevoked'; data: { id: string; name: string; revokedAt: string } }
  | { type: 'ApiTokenExpiryChanged'; data: { id: string; name: string; expiresAt: string } };

export const tokenStreamId = (id: string): string => `token-${id}`;
