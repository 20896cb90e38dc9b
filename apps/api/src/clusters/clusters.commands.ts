import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  clusterDecider,
  clusterStreamId,
  DomainError,
  environmentStreamId,
  fold,
  type Clock,
  type ClusterCommand,
  type ClusterConnection,
  type ClusterState,
} from '#domain';
import { CLOCK } from '#infra/nest/tokens.js';
import { CommandExecutor } from '../common/command-executor.js';
import type { RequestContext } from '../common/request-context.js';
import { ClusterSecrets } from './cluster-secrets.repository.js';
import { assertUsableKubeconfig } from './kubeconfig.check.js';

export interface ClusterResult {
  name: string;
  environment: string;
  region: string;
  labels: Record<string, string>;
  connection: { kind: ClusterConnection['kind'] };
  status: 'active' | 'cordoned' | 'removed';
  position: number;
}

/** An inline kubeconfig before it becomes a secret, or a reference the workers resolve. */
export type ClusterSource = { kind: 'inline'; kubeconfig: string } | Exclude<ClusterConnection, { kind: 'secret' }>;

function result(state: ClusterState, position: number): ClusterResult {
  // Every command that reaches here succeeded on a registered cluster.
  if (state.status === 'absent') throw new Error('cluster command left no cluster behind');
  const { name, environment, region, labels, connection } = state.registration;
  // Only the kind: even a file path or a variable name tells an attacker where to look.
  return { name, environment, region, labels, connection: { kind: connection.kind }, status: state.status, position };
}

export class RegisterCluster extends Command<{ created: boolean; cluster: ClusterResult }> {
  constructor(
    readonly input: { name: string; environment: string; region: string; labels: Record<string, string>; source: ClusterSource },
    readonly ctx: RequestContext,
  ) {
    super();
  }
}

/** The commands on an existing cluster, which differ only in the decider command they send. */
export class ChangeCluster extends Command<ClusterResult> {
  constructor(
    readonly name: string,
    readonly change:
      | { type: 'UpdateClusterLabels'; labels: Record<string, string> }
      | { type: 'CordonCluster'; reason?: string }
      | { type: 'UncordonCluster' }
      | { type: 'RemoveCluster'; reason?: string },
    readonly ctx: RequestContext,
  ) {
    super();
  }
}

@CommandHandler(RegisterCluster)
export class RegisterClusterHandler implements ICommandHandler<RegisterCluster> {
  constructor(
    @Inject(CommandExecutor) private readonly commands: CommandExecutor,
    @Inject(ClusterSecrets) private readonly secrets: ClusterSecrets,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ input, ctx }: RegisterCluster): Promise<{ created: boolean; cluster: ClusterResult }> {
    const { source, ...registration } = input;
    if (source.kind === 'inline') assertUsableKubeconfig(source.kubeconfig);
    // The environment is another aggregate; the log (not a read model that may lag a
    // definition made a moment ago) says whether it exists.
    const environment = await this.commands.store.readStream(environmentStreamId(registration.environment));
    if (environment.length === 0) {
      throw new DomainError('CLUSTER_ENVIRONMENT_UNKNOWN', `environment '${registration.environment}' is not defined; define it first`, {
        environment: registration.environment,
      });
    }
    if (source.kind !== 'inline') return this.register({ ...registration, connection: source }, ctx);

    const reused = await this.sameSecretAsRegistered(registration.name, source.kubeconfig);
    if (reused) return this.register({ ...registration, connection: { kind: 'secret', secretId: reused } }, ctx);
    // Secret first, then the event that points at it: an event must never reference a
    // secret that is not there. If the append fails, nothing points at the row; drop it.
    const secretId = await this.secrets.save(registration.name, source.kubeconfig);
    try {
      return await this.register({ ...registration, connection: { kind: 'secret', secretId } }, ctx);
    } catch (error) {
      await this.secrets.delete(secretId).catch(() => undefined);
      throw error;
    }
  }

  private async register(
    registration: Omit<RegisterCluster['input'], 'source'> & { connection: ClusterConnection },
    ctx: RequestContext,
  ): Promise<{ created: boolean; cluster: ClusterResult }> {
    const handled = await this.commands.run(
      clusterDecider,
      clusterStreamId(registration.name),
      { type: 'RegisterCluster', data: { ...registration, now: this.clock.now() } },
      ctx,
    );
    return { created: handled.events.length > 0, cluster: result(handled.state, handled.globalPosition) };
  }

  /**
   * A retried registration with the same kubeconfig must stay a retry: a new secret id
   * would make the decider see a different connection and answer CLUSTER_ALREADY_EXISTS.
   */
  private async sameSecretAsRegistered(name: string, kubeconfig: string): Promise<string | null> {
    const history = await this.commands.store.readStream(clusterStreamId(name));
    const state = fold(clusterDecider, history.map(({ type, data }) => ({ type, data }) as Parameters<typeof clusterDecider.evolve>[1]));
    if (state.status !== 'active' && state.status !== 'cordoned') return null;
    const { connection } = state.registration;
    if (connection.kind !== 'secret') return null;
    return (await this.secrets.kubeconfig(connection.secretId)) === kubeconfig ? connection.secretId : null;
  }
}

@CommandHandler(ChangeCluster)
export class ChangeClusterHandler implements ICommandHandler<ChangeCluster> {
  constructor(
    @Inject(CommandExecutor) private readonly commands: CommandExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ name, change, ctx }: ChangeCluster): Promise<ClusterResult> {
    const { type, ...data } = change;
    const command = { type, data: { ...data, name, now: this.clock.now() } } as ClusterCommand;
    const handled = await this.commands.run(clusterDecider, clusterStreamId(name), command, ctx);
    return result(handled.state, handled.globalPosition);
  }
}

export const clusterCommandHandlers = [RegisterClusterHandler, ChangeClusterHandler];
