/**
 * Group commit: callers hand in work while a transaction is in flight; when it ends,
 * everything that queued up meanwhile runs as the next single batch. Nothing waits on
 * a timer, so a lone caller pays no extra latency, and under load one commit (one WAL
 * flush, one hold of the append lock) carries many callers' work.
 *
 * Why: appends are serialised by the log's append lock (commit order = position
 * order), so one append per transaction caps the API at one commit round trip per
 * command. Batching is how concurrent commands share that cost.
 */
export interface GroupCommitOptions<Req, Res> {
  /** Runs one batch; returns one outcome per request, in order (an Error rejects only that caller). */
  runBatch(requests: readonly Req[]): Promise<(Res | Error)[]>;
  /** Caps a batch so one transaction stays short; the rest goes into the next one. */
  maxBatch: number;
  /** Weight of a request towards the cap (events in it, say); defaults to 1. */
  weight?: (request: Req) => number;
}

interface Pending<Req, Res> {
  request: Req;
  resolve: (result: Res) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit<Req, Res> {
  private queue: Pending<Req, Res>[] = [];
  private running = false;

  constructor(private readonly options: GroupCommitOptions<Req, Res>) {}

  submit(request: Req): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.takeBatch();
        try {
          const outcomes = await this.options.runBatch(batch.map((p) => p.request));
          batch.forEach((pending, i) => {
            const outcome = outcomes[i];
            if (outcome instanceof Error) pending.reject(outcome);
            else pending.resolve(outcome as Res);
          });
        } catch (error) {
          for (const pending of batch) pending.reject(error);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private takeBatch(): Pending<Req, Res>[] {
    const weight = this.options.weight ?? (() => 1);
    let total = 0;
    let count = 0;
    // Always take at least one, so an oversized request still runs (alone).
    while (count < this.queue.length) {
      total += weight(this.queue[count]!.request);
      if (count > 0 && total > this.options.maxBatch) break;
      count += 1;
    }
    return this.queue.splice(0, count);
  }
}
