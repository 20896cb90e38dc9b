import pg from 'pg';
import { readModelProjections } from '#infra/projections/read-model-projections.js';
import { summarize, type Summary } from './stats.js';

export interface ProjectionLag {
  /** Per event: when every read-model projection had applied it − when it became visible in the log, ms. */
  lag: Summary;
  samples: number;
  sampleIntervalMs: number;
  /** Events still unapplied when sampling stopped (their lag is not in the summary). */
  behindAtEnd: number;
}

/**
 * Watches, from its own connection, the log's head (max global_position: appends commit
 * in position order, so every event up to it is visible) and the read-model checkpoint
 * of the slowest projection (what read-your-writes waits for). An event is committed when
 * a sample first sees the head at or past it, applied when a sample first sees the
 * checkpoint at or past it; both come from one statement's snapshot, so an event is never
 * seen applied before committed. Resolution: the sampling interval plus one round trip.
 */
export class ProjectionLagSampler {
  private readonly client: pg.Client;
  private readonly committed: { to: number; at: number }[] = [];
  private readonly lags: number[] = [];
  private head = 0;
  /** The head when sampling started: older events have no commit time here. */
  private baseline = 0;
  private applied = 0;
  private samples = 0;
  private running = false;
  private loop: Promise<void> | null = null;

  constructor(url: string, private readonly intervalMs = 5) {
    this.client = new pg.Client({ connectionString: url });
  }

  async start(): Promise<void> {
    await this.client.connect();
    const first = await this.sample();
    this.head = this.baseline = first.head;
    this.applied = first.applied;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<ProjectionLag> {
    this.running = false;
    await this.loop;
    await this.client.end();
    return { lag: summarize(this.lags), samples: this.samples, sampleIntervalMs: this.intervalMs, behindAtEnd: this.head - this.applied };
  }

  private async run(): Promise<void> {
    while (this.running) {
      const { head, applied } = await this.sample();
      const at = performance.now();
      if (head > this.head) {
        this.committed.push({ to: head, at });
        this.head = head;
      }
      // Events (this.applied, applied] were applied by now.
      for (let p = Math.max(this.applied, this.baseline) + 1; p <= applied; p += 1) {
        while (this.committed[0]!.to < p) this.committed.shift();
        this.lags.push(at - this.committed[0]!.at);
      }
      if (applied > this.applied) this.applied = applied;
      await new Promise((r) => setTimeout(r, this.intervalMs));
    }
  }

  private async sample(): Promise<{ head: number; applied: number }> {
    this.samples += 1;
    const { rows } = await this.client.query<{ head: string | null; applied: string | null }>(
      `SELECT (SELECT max(global_position) FROM events) AS head,
              (SELECT min(position) FROM projection_checkpoints WHERE name = ANY($1)) AS applied`,
      [readModelProjections.map((p) => p.name)],
    );
    return { head: Number(rows[0]?.head ?? 0), applied: Number(rows[0]?.applied ?? 0) };
  }
}
