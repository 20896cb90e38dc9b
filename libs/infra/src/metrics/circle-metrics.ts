import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { ScrapeGauge } from './scrape-gauge.js';

/** Fast work: a handler delivery, a Kubernetes API call. */
const CALL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Rollout steps and waves: from an instant install to a soak of hours. */
const ROLLOUT_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600];

/**
 * Every metric circle exports, in one registry. One instance per running circle: the
 * process that starts the API and/or the worker creates it (like the database pool)
 * and hands it to both, so in `npm start` the API's /metrics shows the worker's work
 * too, and two circles in one test process never share or double count a series.
 *
 * Names follow Prometheus conventions: `circle_` prefix, unit suffix (`_seconds`),
 * `_total` on counters. Levels that live in the database are ScrapeGauges, read when
 * scraped; everything else is counted where it happens.
 */
export class CircleMetrics {
  readonly registry = new Registry();

  /** Commands the API (or a webhook) ran, by outcome; `code` is the problem code of a rejection. */
  readonly commands = new Counter({
    name: 'circle_commands_total',
    help: 'Commands handled, by command, outcome (accepted or rejected) and rejection code (empty when accepted).',
    labelNames: ['command', 'outcome', 'code'] as const,
    registers: [this.registry],
  });

  readonly eventsAppended = new Counter({
    name: 'circle_events_appended_total',
    help: 'Events appended to the event store by this process, by event type.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly transportLag = new ScrapeGauge(
    this.registry,
    'circle_transport_lag_events',
    'Events the consumer group has not yet handled on a partition this process holds (Postgres log: log positions between the head and the partition; Kafka: high watermark minus committed offset).',
    ['group', 'partition'] as const,
  );

  readonly handlerDuration = new Histogram({
    name: 'circle_handler_duration_seconds',
    help: 'Time of one delivery attempt of an event to a handler (consumer group), by outcome (ok or error).',
    labelNames: ['group', 'outcome'] as const,
    buckets: CALL_BUCKETS,
    registers: [this.registry],
  });

  readonly handlerFailures = new Counter({
    name: 'circle_handler_failures_total',
    help: 'Delivery attempts that threw, by consumer group and event type (each retry counts).',
    labelNames: ['group', 'event_type'] as const,
    registers: [this.registry],
  });

  readonly deadLettered = new Counter({
    name: 'circle_dead_lettered_total',
    help: 'Events this process gave up on and wrote to the dead letters, by consumer group.',
    labelNames: ['group'] as const,
    registers: [this.registry],
  });

  readonly deadLetters = new ScrapeGauge(
    this.registry,
    'circle_dead_letters',
    'Dead letters waiting (not replayed), by consumer group; read from the database at scrape time.',
    ['group'] as const,
  );

  readonly rollouts = new ScrapeGauge(this.registry, 'circle_rollouts', 'Rollouts by phase, read from the rollouts read model at scrape time.', ['phase'] as const);

  readonly stepDuration = new Histogram({
    name: 'circle_rollout_step_duration_seconds',
    help: 'Time from the start of a rollout step to its completion (engine clock), by strategy and step kind (install, canary, pause, analysis, delay...).',
    labelNames: ['strategy', 'step'] as const,
    buckets: ROLLOUT_BUCKETS,
    registers: [this.registry],
  });

  readonly waveDuration = new Histogram({
    name: 'circle_rollout_wave_duration_seconds',
    help: 'Time from the start of a wave to the completion of its last step (engine clock), by strategy.',
    labelNames: ['strategy'] as const,
    buckets: ROLLOUT_BUCKETS,
    registers: [this.registry],
  });

  readonly clusterCallDuration = new Histogram({
    name: 'circle_cluster_call_duration_seconds',
    help: 'Calls of the cluster gateway (retries and backoff included), by cluster, operation and outcome (ok or error).',
    labelNames: ['cluster', 'operation', 'outcome'] as const,
    buckets: CALL_BUCKETS,
    registers: [this.registry],
  });

  readonly clusterCallErrors = new Counter({
    name: 'circle_cluster_call_errors_total',
    help: 'Failed cluster gateway calls, by cluster, operation and reason (the ClusterGatewayError code).',
    labelNames: ['cluster', 'operation', 'reason'] as const,
    registers: [this.registry],
  });

  readonly projectionLag = new ScrapeGauge(
    this.registry,
    'circle_projection_lag_events',
    'Log positions between the head of the event log and a projection\'s checkpoint.',
    ['projection'] as const,
  );

  readonly projectionLagSeconds = new ScrapeGauge(
    this.registry,
    'circle_projection_lag_seconds',
    'Age of the oldest event a projection has not applied yet (0 when caught up).',
    ['projection'] as const,
  );

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
