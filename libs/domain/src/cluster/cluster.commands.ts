/**
 * How the worker reaches the cluster. The kubeconfig itself never enters the event log
 * (events are forever and readable by auditors): the API stores it as a secret and the
 * events carry only a reference to it.
 */
export type ClusterConnection =
  | { kind: 'secret'; secretId: string }
  | { kind: 'file'; path: string }
  | { kind: 'env'; variable: string };

export interface ClusterRegistration {
  name: string;
  environment: string;
  region: string;
  labels: Record<string, string>;
  connection: ClusterConnection;
}

export type ClusterCommand =
  | { type: 'RegisterCluster'; data: ClusterRegistration & { now: Date } }
  | { type: 'UpdateClusterLabels'; data: { name: string; labels: Record<string, string>; now: Date } }
  | { type: 'CordonCluster'; data: { name: string; reason?: string; now: Date } }
  | { type: 'UncordonCluster'; data: { name: string; now: Date } }
  | { type: 'RemoveCluster'; data: { name: string; reason?: string; now: Date } };
