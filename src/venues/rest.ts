// REST GET for metadata, book snapshots and trade backfill: one request at a
// time per connector, spaced by `minIntervalMs`, retried with backoff on 429
// (honouring Retry-After), 5xx and network errors. No keep-alive agent, so no
// socket outlives its request (close() leaves nothing behind).
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AbortError, backoffDelay, sleep } from './backoff';
import type { RestOptions } from './types';

export const DEFAULT_REST: RestOptions = {
  attempts: 5,
  baseMs: 200,
  maxMs: 5000,
  timeoutMs: 10_000,
  minIntervalMs: 100,
};

export class RestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(message);
    this.name = 'RestError';
  }
}

interface Reply {
  status: number;
  body: string;
  retryAfterMs: number | undefined;
}

function getOnce(url: string, timeoutMs: number, signal: AbortSignal): Promise<Reply> {
  return new Promise<Reply>((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(
      u,
      { method: 'GET', agent: false, headers: { accept: 'application/json', connection: 'close' }, signal },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > 64 * 1024 * 1024) req.destroy(new Error('REST reply larger than 64 MiB'));
          else chunks.push(c);
        });
        res.on('end', () => {
          const ra = res.headers['retry-after'];
          const seconds = typeof ra === 'string' ? Number(ra) : NaN;
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            retryAfterMs: Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined,
          });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`REST timeout after ${timeoutMs} ms`)));
    req.on('error', (err) => reject(signal.aborted ? new AbortError() : err));
    req.end();
  });
}

/** A connector's REST client: serialized, paced, retrying. */
export class RestClient {
  private chain: Promise<unknown> = Promise.resolve();
  private lastAt = -Infinity;
  /** Attempts sent. */
  requests = 0;
  retries = 0;
  /** Requests that failed for good (not counting aborts at close). */
  errors = 0;

  constructor(
    private readonly opts: RestOptions,
    private readonly signal: AbortSignal,
    private readonly onRetry: (url: string, why: string, delayMs: number) => void = () => undefined,
  ) {}

  /** GETs `url` and returns the body of a 2xx reply; throws RestError / AbortError otherwise. */
  get(url: string): Promise<string> {
    const run = this.chain
      .then(() => this.attempt(url))
      .catch((err: unknown) => {
        if (!(err instanceof AbortError) && !this.signal.aborted) this.errors++;
        throw err;
      });
    // The chain only orders requests; a failure is the caller's.
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async attempt(url: string): Promise<string> {
    const o = this.opts;
    for (let attempt = 0; ; attempt++) {
      const wait = this.lastAt + o.minIntervalMs - performance.now();
      if (wait > 0) await sleep(wait, this.signal);
      this.lastAt = performance.now();
      this.requests++;
      let why: string;
      let retryAfter: number | undefined;
      try {
        const r = await getOnce(url, o.timeoutMs, this.signal);
        if (r.status >= 200 && r.status < 300) return r.body;
        if (r.status !== 429 && r.status !== 418 && r.status < 500) {
          throw new RestError(`GET ${url}: HTTP ${r.status}`, r.status, r.body.slice(0, 500));
        }
        why = `HTTP ${r.status}`;
        retryAfter = r.retryAfterMs;
      } catch (err) {
        if (err instanceof RestError || err instanceof AbortError || this.signal.aborted) throw err;
        why = err instanceof Error ? err.message : String(err);
      }
      if (attempt + 1 >= o.attempts)
        throw new RestError(`GET ${url}: gave up after ${attempt + 1} attempts (${why})`, 0, '');
      const delay = Math.min(o.maxMs, Math.max(retryAfter ?? 0, backoffDelay(attempt, o.baseMs, o.maxMs)));
      this.retries++;
      this.onRetry(url, why, delay);
      await sleep(delay, this.signal);
    }
  }
}
