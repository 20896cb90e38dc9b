// class-transformer converts settings by their emitted design:type, which needs the
// Reflect metadata API installed before this class is decorated.
import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, IsBase64, IsIn, IsInt, IsOptional, IsString, Matches, Max, Length, Min, MinLength, validateSync } from 'class-validator';

/**
 * Every setting circle reads from its environment, with its default. README's
 * configuration table lists the same names; keep them together.
 */
// Every field carries an explicit type: class-transformer converts environment strings
// by the emitted design:type, which TypeScript leaves as Object for inferred types.
export class CircleConfig {
  /** HTTP port of the API. */
  @IsInt() @Min(0) @Max(65535)
  PORT: number = 8080;

  /** Interface the API listens on; 0.0.0.0 in containers. */
  @IsString()
  HOST: string = '127.0.0.1';

  /**
   * With CIRCLE_ROLE=worker, the port (on HOST) of the worker's own /metrics, /health and
   * /health/ready, /health/live; 0 takes any free port. With the API in the process, the
   * API's port serves them instead.
   */
  @IsInt() @Min(0) @Max(65535)
  WORKER_METRICS_PORT: number = 9464;

  /** PostgreSQL to use; when unset an embedded PostgreSQL is started under CIRCLE_DATA_DIR. */
  @IsOptional() @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;

  @IsInt() @Min(2) @Max(500)
  DATABASE_POOL_SIZE: number = 20;

  /** Where the embedded PostgreSQL keeps its data (and other local state). */
  @IsString()
  CIRCLE_DATA_DIR: string = '.circle';

  @IsInt() @Min(1024) @Max(65535)
  CIRCLE_EMBEDDED_PG_PORT: number = 54329;

  /** Which parts this process runs: both (default), only the API, or only a worker. */
  @IsIn(['all', 'api', 'worker'])
  CIRCLE_ROLE: 'all' | 'api' | 'worker' = 'all';

  /**
   * The secret of an admin API token to create at start when it does not exist yet.
   * Unset: on the first start (no admin token at all) one is generated and printed once.
   */
  @IsOptional() @IsString() @MinLength(32, { message: 'CIRCLE_ADMIN_TOKEN must be at least 32 characters' })
  CIRCLE_ADMIN_TOKEN?: string;

  /**
   * Key that encrypts git webhook secrets at rest (AES-256-GCM): 32 bytes, base64.
   * Unset: a key is generated once and kept in <CIRCLE_DATA_DIR>/webhook-secret.key;
   * set it wherever several API processes share a database.
   */
  @IsOptional() @IsBase64(undefined, { message: 'CIRCLE_SECRET_KEY must be 32 bytes, base64-encoded' })
  @Length(44, 44, { message: 'CIRCLE_SECRET_KEY must be 32 bytes, base64-encoded' })
  CIRCLE_SECRET_KEY?: string;

  /**
   * Kafka bootstrap brokers, comma separated (`kafka-1:9092,kafka-2:9092`). Unset: the
   * worker reads the Postgres log itself (the embedded default).
   */
  @IsOptional() @Matches(/^[^\s,:]+:\d+(,[^\s,:]+:\d+)*$/, { message: 'KAFKA_BROKERS must be a comma-separated list of host:port' })
  KAFKA_BROKERS?: string;

  @IsString() @MinLength(1)
  KAFKA_CLIENT_ID: string = 'circle';

  /** Topic the relay publishes the event log to, keyed by stream id. */
  @IsString() @Matches(/^[a-zA-Z0-9._-]{1,249}$/, { message: 'KAFKA_TOPIC must be a legal Kafka topic name' })
  KAFKA_TOPIC: string = 'circle.events';

  /** Partitions of the topic when circle creates it; an existing topic keeps its own. */
  @IsInt() @Min(1) @Max(1000)
  KAFKA_PARTITIONS: number = 12;

  @IsInt() @Min(1) @Max(10)
  KAFKA_REPLICATION_FACTOR: number = 1;

  /** A worker that stops heart-beating loses its partitions to the others after this long. */
  @IsInt() @Min(1000) @Max(300_000)
  KAFKA_SESSION_TIMEOUT_MS: number = 30_000;

  /** Partitions per consumer group on the Postgres log; more partitions let more workers share the work. */
  @IsInt() @Min(1) @Max(1000)
  TRANSPORT_PARTITIONS: number = 12;

  /** On the Postgres log, a worker that stops renewing loses its partitions after this long. */
  @IsInt() @Min(500) @Max(300_000)
  TRANSPORT_LEASE_MS: number = 10_000;

  /** Tries per event and handler, the first included; then the event is dead-lettered. */
  @IsInt() @Min(1) @Max(100)
  TRANSPORT_MAX_ATTEMPTS: number = 5;

  /** First retry delay; it doubles per attempt up to TRANSPORT_RETRY_MAX_DELAY_MS. */
  @IsInt() @Min(0) @Max(60_000)
  TRANSPORT_RETRY_DELAY_MS: number = 100;

  @IsInt() @Min(0) @Max(600_000)
  TRANSPORT_RETRY_MAX_DELAY_MS: number = 2000;

  /** Fallback poll of the log when no NOTIFY arrives (LISTEN connection lost). */
  @IsInt() @Min(10) @Max(60_000)
  TRANSPORT_POLL_INTERVAL_MS: number = 1000;

  /**
   * auto: when no real cluster is registered, `npm start` starts simulated clusters
   * (dev-1, staging-1, prod-eu-1, prod-us-1) and registers them; off: never.
   */
  @IsIn(['auto', 'off'])
  CIRCLE_SIMULATED_CLUSTERS: string = 'auto';

  /**
   * First port of the simulated clusters (127.0.0.1, consecutive ports); 0 takes any
   * free ports. Their kubeconfigs are rewritten at every start, so either works.
   */
  @IsInt() @Min(0) @Max(65000)
  CIRCLE_SIMULATED_CLUSTERS_PORT: number = 0;

  /** How often the rollout engine looks for due timers (pauses ending, clusters to look at again). */
  @IsInt() @Min(10) @Max(60_000)
  ENGINE_TIMER_POLL_MS: number = 100;

  /** How soon the engine looks again at a cluster whose workloads are still rolling. */
  @IsInt() @Min(10) @Max(60_000)
  ENGINE_OBSERVE_INTERVAL_MS: number = 250;

  /** A worker that dies holding a timer loses it after this long, and another fires it. */
  @IsInt() @Min(500) @Max(600_000)
  ENGINE_TIMER_LEASE_MS: number = 30_000;

  /** Rollouts one worker drives at the same time. */
  @IsInt() @Min(1) @Max(1000)
  ENGINE_CONCURRENCY: number = 16;

  /**
   * API requests per minute per token (per source address for webhooks and calls
   * without a token); over it the answer is 429 with Retry-After. 0 turns it off.
   */
  @IsInt() @Min(0) @Max(1_000_000)
  RATE_LIMIT_PER_MINUTE: number = 1200;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates settings; unknown variables are ignored, bad values fail start-up with every problem listed. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): CircleConfig {
  // Every decorated property is a setting, including optional ones without a default.
  const known = getMetadataStorage()
    .getTargetValidationMetadatas(CircleConfig, '', true, false)
    .map((m) => m.propertyName);
  const raw = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => known.includes(key) && value !== ''),
  );
  const config = plainToInstance(CircleConfig, raw, { enableImplicitConversion: true, exposeDefaultValues: true });
  const errors = validateSync(config, { forbidUnknownValues: false });
  if (errors.length > 0) {
    throw new ConfigError(errors.flatMap((e) => Object.values(e.constraints ?? {}).map((m) => `${e.property}: ${m}`)));
  }
  return config;
}
