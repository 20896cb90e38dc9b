import type { Principal } from './principal.js';

interface Entry {
  principal: Principal;
  expiresAt: number | null;
  lastUseRecordedAt: number;
}

/** Enough for every live token of a large organisation; unknown secrets are never cached. */
const MAX_ENTRIES = 10_000;

/**
 * Tokens this process has verified, by secret hash, so a request needs no database
 * round trip to authenticate. Correct only while every revocation reaches `forget`:
 * the owner turns caching off (`enabled = false`) whenever it cannot guarantee that,
 * e.g. while its LISTEN connection is down.
 *
 * A lookup that started before a revocation may finish after it; `generation` lets the
 * owner drop such a stale answer instead of caching a revoked token.
 */
export class VerifiedTokens {
  private readonly byHash = new Map<string, Entry>();
  private generation = 0;
  private enabledFlag = false;

  get enabled(): boolean {
    return this.enabledFlag;
  }

  set enabled(value: boolean) {
    this.enabledFlag = value;
    this.clear();
  }

  get currentGeneration(): number {
    return this.generation;
  }

  get(hash: string, now: number): Entry | undefined {
    const entry = this.byHash.get(hash);
    if (!entry) return undefined;
    if (entry.expiresAt !== null && entry.expiresAt <= now) {
      this.byHash.delete(hash);
      return undefined;
    }
    return entry;
  }

  /** Caches a lookup's answer unless something was forgotten since it began (`generation`). */
  put(hash: string, generation: number, entry: Entry): void {
    if (!this.enabledFlag || generation !== this.generation) return;
    if (this.byHash.size >= MAX_ENTRIES) {
      const oldest = this.byHash.keys().next().value;
      if (oldest !== undefined) this.byHash.delete(oldest);
    }
    this.byHash.set(hash, entry);
  }

  forget(tokenId: string): void {
    this.generation += 1;
    for (const [hash, entry] of this.byHash) {
      if (entry.principal.tokenId === tokenId) this.byHash.delete(hash);
    }
  }

  clear(): void {
    this.generation += 1;
    this.byHash.clear();
  }
}
