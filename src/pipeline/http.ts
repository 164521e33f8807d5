// The observability endpoints: /metrics (Prometheus text), /healthz (the
// process is alive and its loop turns) and /readyz (connected, books VALID,
// Kafka reachable; 503 with the reasons otherwise). Loopback by default.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HealthSource {
  /** Empty when ready; otherwise one line per reason. */
  notReady(): string[];
}

export interface ObservabilityServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

export async function startObservabilityServer(
  registry: Registry,
  health: HealthSource,
  host: string,
  port: number,
): Promise<ObservabilityServer> {
  const startedAt = Date.now();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(e)}\n`),
      );
      return;
    }
    if (path === '/healthz') {
      json(res, 200, { status: 'ok', uptimeS: Math.round((Date.now() - startedAt) / 1000) });
      return;
    }
    if (path === '/readyz') {
      const reasons = health.notReady();
      json(res, reasons.length === 0 ? 200 : 503, { ready: reasons.length === 0, reasons });
      return;
    }
    json(res, 404, { error: 'not found', endpoints: ['/metrics', '/healthz', '/readyz'] });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      reject(
        new Error(
          e.code === 'EADDRINUSE'
            ? `metrics port ${host}:${port} is already in use: set observability.port (or TICKWIRE_METRICS_PORT) to a free port, 0 for any`
            : `cannot listen on ${host}:${port} for metrics: ${e.message}`,
        ),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    port: actual,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function json(res: import('node:http').ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
}
