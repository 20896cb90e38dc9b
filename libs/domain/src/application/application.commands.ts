export interface Dependency {
  application: string;
  /** A semver range the dependency's live version must satisfy, e.g. ">=2.1.0 <3". */
  range: string;
}

export type ApplicationCommand =
  | { type: 'CreateApplication'; data: { name: string; team: string; description: string; now: Date } }
  | { type: 'UpdateApplication'; data: { name: string; team?: string; description?: string; now: Date } }
  | { type: 'DeclareDependencies'; data: { name: string; dependencies: Dependency[]; now: Date } }
  | {
      type: 'ClaimClusters';
      data: { name: string; rolloutId: string; clusters: string[]; supersede: boolean; now: Date };
    }
  | { type: 'ReleaseClusters'; data: { name: string; rolloutId: string; now: Date } };
