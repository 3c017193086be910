// A per-process cache of what authenticating a token yields (key, user, compiled subject), so a
// request with a known token costs no database round trip. It is only correct because every change
// that could alter an entry invalidates it: the database raises NOTIFY orgd_authz from triggers
// (every replica listens), and this process clears its cache itself after any mutation it serves,
// before answering, so the very next request never sees the old state. A load that started before
// an invalidation is not stored (generation check). If the LISTEN connection is lost, caching stops
// until it is back.
import pg from 'pg';

export interface CacheEntry<T> {
  userId: string;
  value: T;
}

export class AuthCache<T> {
  private readonly entries = new Map<string, CacheEntry<T>>();
  private readonly byUser = new Map<string, Set<string>>();
  private generation = 0;
  private listening = false;
  private listener: pg.Client | undefined;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  readonly maxEntries: number;

  constructor(maxEntries = 50_000) {
    this.maxEntries = maxEntries;
  }

  get enabled(): boolean {
    return this.listening;
  }

  /** A snapshot of the generation, taken before loading from the database. */
  currentGeneration(): number {
    return this.generation;
  }

  get(keyId: string): T | undefined {
    return this.listening ? this.entries.get(keyId)?.value : undefined;
  }

  set(keyId: string, userId: string, value: T, loadedAtGeneration: number): void {
    if (!this.listening || loadedAtGeneration !== this.generation) return;
    if (this.entries.size >= this.maxEntries) this.clear();
    this.entries.set(keyId, { userId, value });
    let keys = this.byUser.get(userId);
    if (!keys) this.byUser.set(userId, (keys = new Set()));
    keys.add(keyId);
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

  handleNotification(payload: string | undefined): void {
    if (payload?.startsWith('user:')) this.invalidateUser(payload.slice(5));
    else this.clear();
  }

  /** Starts listening on a dedicated connection; caching is on only while it is connected. */
  async listen(connectionString: string): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString, application_name: 'orgd-authz-listener' });
    const lost = () => {
      if (this.listener !== client) return;
      this.listening = false;
      this.listener = undefined;
      this.clear();
      client.end().catch(() => undefined);
      if (!this.closed) {
        this.reconnectTimer = setTimeout(() => this.listen(connectionString).catch(() => lost()), 500);
        this.reconnectTimer.unref();
      }
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (msg) => this.handleNotification(msg.payload));
    this.listener = client;
    try {
      await client.connect();
      await client.query('LISTEN orgd_authz');
      this.clear();
      this.listening = true;
    } catch {
      lost();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listening = false;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.listener;
    this.listener = undefined;
    this.clear();
    await client?.end().catch(() => undefined);
  }
}
