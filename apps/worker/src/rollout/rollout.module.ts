import { Global, Module, type DynamicModule } from '@nestjs/common';
import type pg from 'pg';
import { CLUSTER_GATEWAY, type ClusterGateway, type Clock, type EventStore } from '#domain';
import { SECRET_CIPHER, type SecretCipher } from '#infra/crypto/secret-cipher.js';
import { ClusterDirectory } from '#infra/clusters/cluster-directory.js';
import { KubernetesClusterGateway, type KubernetesClusterGatewayOptions } from '#infra/kubernetes/kubernetes-cluster-gateway.js';
import type { Logger } from '#infra/logging/logger.js';
import type { CircleMetrics } from '#infra/metrics/circle-metrics.js';
import { InstrumentedClusterGateway } from '#infra/metrics/instrumented-cluster-gateway.js';
import { CLOCK, EVENT_STORE, LOGGER, METRICS, PG_POOL } from '#infra/nest/tokens.js';
import { RolloutReconciler, type ReconcilerOptions } from './rollout-reconciler.js';
import { ENGINE_OPTIONS, RolloutTimerPoller, type EngineOptions } from './rollout-timer.poller.js';
import { RolloutTimers } from './rollout-timers.js';

export interface RolloutModuleOptions {
  engine?: Partial<EngineOptions>;
  reconciler?: ReconcilerOptions;
  gateway?: KubernetesClusterGatewayOptions;
  /** Tests may hand in a gateway; production uses the Kubernetes adapter. */
  gatewayInstance?: ClusterGateway;
}

/** The rollout engine's worker side: gateway, directory, timers, reconciler. */
@Global()
@Module({})
export class RolloutModule {
  static forRoot(options: RolloutModuleOptions = {}): DynamicModule {
    return {
      module: RolloutModule,
      providers: [
        { provide: ENGINE_OPTIONS, useValue: { timerPollMs: 100, concurrency: 16, timerLeaseMs: 30_000, ...options.engine } satisfies EngineOptions },
        {
          provide: CLUSTER_GATEWAY,
          useFactory: (metrics: CircleMetrics) =>
            new InstrumentedClusterGateway(options.gatewayInstance ?? new KubernetesClusterGateway(options.gateway), metrics),
          inject: [METRICS],
        },
        { provide: ClusterDirectory, useFactory: (pool: pg.Pool, cipher: SecretCipher) => new ClusterDirectory(pool, cipher), inject: [PG_POOL, SECRET_CIPHER] },
        {
          provide: RolloutTimers,
          useFactory: (pool: pg.Pool, engine: EngineOptions) => new RolloutTimers(pool, engine.timerLeaseMs),
          inject: [PG_POOL, ENGINE_OPTIONS],
        },
        {
          provide: RolloutReconciler,
          useFactory: (
            pool: pg.Pool,
            store: EventStore,
            gateway: ClusterGateway,
            directory: ClusterDirectory,
            timers: RolloutTimers,
            clock: Clock,
            logger: Logger,
            metrics: CircleMetrics,
          ) => new RolloutReconciler(pool, store, gateway, directory, timers, clock, logger.child({ component: 'rollout-engine' }), options.reconciler, metrics),
          inject: [PG_POOL, EVENT_STORE, CLUSTER_GATEWAY, ClusterDirectory, RolloutTimers, CLOCK, LOGGER, METRICS],
        },
        RolloutTimerPoller,
      ],
      exports: [RolloutReconciler, RolloutTimers, RolloutTimerPoller, CLUSTER_GATEWAY, ClusterDirectory],
    };
  }
}
