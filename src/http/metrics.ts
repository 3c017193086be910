// Prometheus metrics at GET /metrics: requests by route and status, their latency, the database
// pool, and the process. One registry per app, so several apps can live in one test process.
import client from 'prom-client';
import type pg from 'pg';

export interface Metrics {
  registry: client.Registry;
  requests: client.Counter<'method' | 'route' | 'status'>;
  duration: client.Histogram<'method' | 'route' | 'status'>;
}

export function createMetrics(pool: pg.Pool): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'orgd_' });
  const requests = new client.Counter({
    name: 'orgd_http_requests_total',
    help: 'HTTP requests served, by route pattern and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: 'orgd_http_request_duration_seconds',
    help: 'HTTP request latency, by route pattern and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const poolGauge = (name: string, help: string, read: () => number) =>
    new client.Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  poolGauge('orgd_db_pool_connections', 'Open connections in the database pool.', () => pool.totalCount);
  poolGauge('orgd_db_pool_idle_connections', 'Idle connections in the database pool.', () => pool.idleCount);
  poolGauge('orgd_db_pool_waiting_clients', 'Queries waiting for a pooled connection.', () => pool.waitingCount);
  return { registry, requests, duration };
}
