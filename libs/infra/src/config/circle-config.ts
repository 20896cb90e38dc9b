import { plainToInstance } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, validateSync } from 'class-validator';

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
  const known = Object.keys(new CircleConfig());
  const raw = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => (known.includes(key) || key === 'DATABASE_URL') && value !== ''),
  );
  const config = plainToInstance(CircleConfig, raw, { enableImplicitConversion: true, exposeDefaultValues: true });
  const errors = validateSync(config, { forbidUnknownValues: false });
  if (errors.length > 0) {
    throw new ConfigError(errors.flatMap((e) => Object.values(e.constraints ?? {}).map((m) => `${e.property}: ${m}`)));
  }
  return config;
}
