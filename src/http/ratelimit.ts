// A fixed-window limiter per key (client IP) for the login group, as Coder's httprate: N requests
// per minute, then 429 until the window turns. Per process, like Coder's.
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  constructor(
    readonly limit: number,
    readonly windowMs = 60_000,
  ) {}

  /** True when the request may proceed. */
  take(key: string, now = Date.now()): boolean {
    if (this.limit <= 0) return true;
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      if (this.windows.size > 100_000) this.sweep(now);
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    w.count++;
    return w.count <= this.limit;
  }

  private sweep(now: number): void {
    for (const [k, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(k);
  }

  /** Coder's message, e.g. `... more than 60 requests in 1m0s.` */
  message(): string {
    const secs = Math.round(this.windowMs / 1000);
    const m = Math.floor(secs / 60);
    return `You've been rate limited for sending more than ${this.limit} requests in ${m}m${secs % 60}s.`;
  }
}
