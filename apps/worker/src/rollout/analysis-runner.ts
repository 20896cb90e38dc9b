import type { AnalysisCheck, MeasurementOutcome } from '#domain';

export interface Measurement {
  outcome: MeasurementOutcome;
  detail: string;
}

/**
 * One analysis measurement, judged as Flagger judges webhooks: 200-202 passes, any other
 * answer fails, and no answer within the timeout is an error (counted separately, so a
 * flaky metrics endpoint is not mistaken for a bad release until it keeps happening).
 */
export async function measure(check: AnalysisCheck, context: Record<string, string>): Promise<Measurement> {
  try {
    const response = await fetch(check.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'circle-analysis' },
      body: JSON.stringify({ check: check.name, ...context }),
      signal: AbortSignal.timeout(check.timeoutSeconds * 1000),
      redirect: 'manual',
    });
    await response.body?.cancel().catch(() => undefined);
    return response.status >= 200 && response.status <= 202
      ? { outcome: 'pass', detail: `HTTP ${response.status}` }
      : { outcome: 'fail', detail: `HTTP ${response.status}` };
  } catch (error) {
    const name = (error as Error).name;
    return { outcome: 'error', detail: name === 'TimeoutError' ? `no answer within ${check.timeoutSeconds} s` : `request failed: ${(error as Error).message}` };
  }
}
