export interface ReleaseImage {
  /** Container name inside the workload, e.g. "web". */
  name: string;
  /** Repository without tag or digest, e.g. "ghcr.io/acme/shop". */
  repository: string;
  tag?: string;
  /** "sha256:<64 hex>"; when present it wins over the tag, so what runs is exactly what was built. */
  digest?: string;
}

export interface ReleaseContent {
  application: string;
  version: string;
  images: ReleaseImage[];
  gitCommit?: string;
  notes?: string;
}

export type ReleaseCommand = {
  type: 'RegisterRelease';
  data: ReleaseContent & { createdBy: string; now: Date };
};
