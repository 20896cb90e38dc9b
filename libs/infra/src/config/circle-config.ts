import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync } from 'class-validator';

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
