import { Gauge, type Registry } from 'prom-client';

export interface GaugeSample<L extends string> {
  labels: Partial<Record<L, string>>;
  value: number;
}

/** Reads current values from wherever they live (a table, a transport); called at every scrape. */
export type GaugeProbe<L extends string> = () => Promise<readonly GaugeSample<L>[]>;

/**
 * A gauge whose values are read at scrape time from the probes registered on it, so
 * levels that live in the database (rollouts by phase, dead letters waiting) are exact
 * whatever process changed them, and nothing has to keep them up to date. A probe that
 * fails (database gone) contributes no series for that scrape: an absent series is
 * what Prometheus alerting rules expect (`absent()`), a stale number would lie.
 */
export class ScrapeGauge<L extends string> {
  private readonly probes = new Set<GaugeProbe<L>>();
  readonly gauge: Gauge<L>;

  constructor(registry: Registry, name: string, help: string, labelNames: readonly L[]) {
    const probes = this.probes;
    this.gauge = new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const results = await Promise.allSettled([...probes].map((probe) => probe()));
        this.reset();
        for (const result of results) {
          if (result.status !== 'fulfilled') continue;
          for (const sample of result.value) this.set(sample.labels, sample.value);
        }
      },
    });
  }

  /** Adds a probe; returns the function that removes it (call it before its source closes). */
  addProbe(probe: GaugeProbe<L>): () => void {
    this.probes.add(probe);
    return () => this.probes.delete(probe);
  }
}
