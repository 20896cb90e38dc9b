export const ROLES = ['viewer', 'deployer', 'release-manager', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The authenticated caller: an API token, named after its owner (a CI job, a person). */
export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
  /** Environments a deployer token may deploy into; empty means all. */
  environments: string[];
}

/** Roles are ordered: each may do everything the ones before it may. */
export function roleAtLeast(role: Role, required: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(required);
}
