import type { Logger } from '#infra/logging/logger.js';
import type { TokenService } from './token.service.js';

/**
 * Somebody has to hold the first admin token. CIRCLE_ADMIN_TOKEN names its secret (for
 * automated installs); otherwise the very first start generates one and prints it once
 * on stdout, outside the JSON logs, since only its hash is kept.
 */
export async function bootstrapAdminToken(
  tokens: TokenService,
  options: { secret?: string; logger: Logger; print?: (line: string) => void },
): Promise<void> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  if (options.secret) {
    if (await tokens.verify(options.secret)) return;
    const name = (await tokens.list()).some((t) => t.name === 'admin') ? `admin-${Date.now()}` : 'admin';
    await tokens.issue({ name, role: 'admin', createdBy: 'CIRCLE_ADMIN_TOKEN', secret: options.secret });
    options.logger.info({ token: name }, 'admin token from CIRCLE_ADMIN_TOKEN registered');
    return;
  }
  if (await tokens.hasActiveAdmin()) return;
  const { secret } = await tokens.issue({ name: `admin-${Date.now()}`, role: 'admin', createdBy: 'first start' });
  print('');
  print('  circle: first start, no admin token exists. This one is shown once; keep it:');
  print(`  ${secret}`);
  print('');
}
