// Per-process read caches that are only correct because every change that could alter an entry
// invalidates it: the database raises NOTIFY orgd_authz from triggers ('user:<uuid>' for a change
// touching one user, 'all' otherwise), every replica listens on one connection and drops what the
// change touched, and this process clears its caches itself after any mutation it serves, before
// answering, so the very next request never sees the old state. A load that started before an
// invalidation is not stored (generation check). While the LISTEN connection is down, nothing is
// cached: every read goes to the database.
import pg from 'pg';

export class NotifyCache<T> {
  private readonly entries = new Map<string, { userId: string; value: T }>();
  private readonly byUser = new Map<string, Set<string>>();
  private generation = 0;

  constructor(
    private readonly hub: CacheInvalidator,
    readonly maxEntries = 50_000,
  ) {}

  /** A snapshot of the generation, taken before loading from the database. */
  currentGeneration(): number {
    return this.generation;
  }

  get(key: string): T | undefined {
    return this.hub.listening ? this.entries.get(key)?.value : undefined;
  }

  /** Stores `value` for `key`, owned by `userId` (the user whose changes must drop it). */
  set(key: string, userId: string, value: T, loadedAtGeneration: number): void {
    if (!this.hub.listening || loadedAtGeneration !== this.generation) return;
    if (this.entries.size >= this.maxEntries) this.clear();
    this.entries.set(key, { userId, value });
    let keys = this.byUser.get(userId);
    if (!keys) this.byUser.set(userId, (keys = new Set()));
    keys.add(key);
  }

  invalidateUser(userId: string): void {
    this.generation++;
    const keys = this.byUser.get(userId);
    if (!keys) return;
    for (const k of keys) this.entries.delete(k);
    this.byUser.delete(userId);
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
    this.byUser.clear();
  }
}

export class CacheInvalidator {
  private readonly caches = new Set<NotifyCache<unknown>>();
  private client: pg.Client | undefined;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** True while notifications are being received; caches serve nothing otherwise. */
  listening = false;

  cache<T>(maxEntries?: number): NotifyCache<T> {
    const c = new NotifyCache<T>(this, maxEntries);
    this.caches.add(c as NotifyCache<unknown>);
    return c;
  }

  clearAll(): void {
    for (const c of this.caches) c.clear();
  }

  handleNotification(payload: string | undefined): void {
    if (payload?.startsWith('user:')) {
      const userId = payload.slice(5);
      for (const c of this.caches) c.invalidateUser(userId);
    } else {
      this.clearAll();
    }
  }

  /** Starts listening on a dedicated connection, reconnecting when it is lost. */
  async listen(connectionString: string): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString, application_name: 'orgd-cache-invalidator' });
    const lost = () => {
      if (this.client !== client) return;
      this.listening = false;
      this.client = undefined;
      this.clearAll();
      client.end().catch(() => undefined);
      if (!this.closed) {
        this.reconnectTimer = setTimeout(() => void this.listen(connectionString), 500);
        this.reconnectTimer.unref();
      }
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (msg) => this.handleNotification(msg.payload));
    this.client = client;
    try {
      await client.connect();
      await client.query('LISTEN orgd_authz');
      this.clearAll();
      this.listening = true;
    } catch {
      lost();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listening = false;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    this.clearAll();
    await client?.end().catch(() => undefined);
  }
}
