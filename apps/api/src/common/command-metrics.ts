import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ConcurrencyError, DomainError } from '#domain';
import type { CircleMetrics } from '#infra/metrics/circle-metrics.js';
import { METRICS } from '#infra/nest/tokens.js';
import { ApiError } from './problem.js';

/** accepted; rejected: the caller's request broke a rule (4xx, with its code); failed: circle could not do it (5xx). */
export function commandOutcome(error: unknown): { outcome: 'rejected' | 'failed'; code: string } {
  if (error instanceof ApiError) return { outcome: error.status < 500 ? 'rejected' : 'failed', code: error.code };
  if (error instanceof DomainError || error instanceof ConcurrencyError) return { outcome: 'rejected', code: error.code };
  const code = (error as { code?: unknown } | null)?.code;
  return { outcome: 'failed', code: typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? code : 'INTERNAL' };
}

/**
 * Counts every command by its class name and outcome. Every write — from a controller,
 * a webhook rule or another command (retry runs a new rollout) — goes through the
 * command bus, and the bus has no hook for results, so its `execute` is wrapped once
 * at start-up. A command rejected before it was formed (DTO validation, auth) is an
 * HTTP answer, not a command, and is not counted here.
 */
@Injectable()
export class CommandMetrics implements OnModuleInit {
  constructor(
    @Inject(CommandBus) private readonly bus: CommandBus,
    @Inject(METRICS) private readonly metrics: CircleMetrics,
  ) {}

  onModuleInit(): void {
    const execute = this.bus.execute.bind(this.bus);
    const commands = this.metrics.commands;
    this.bus.execute = (async (command: object, ...rest: unknown[]) => {
      const name = command.constructor.name;
      try {
        const result = await (execute as (c: object, ...r: unknown[]) => Promise<unknown>)(command, ...rest);
        commands.inc({ command: name, outcome: 'accepted', code: '' });
        return result;
      } catch (error) {
        const { outcome, code } = commandOutcome(error);
        commands.inc({ command: name, outcome, code });
        throw error;
      }
    }) as CommandBus['execute'];
  }
}
