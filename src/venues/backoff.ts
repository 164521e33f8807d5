// Exponential backoff with full jitter, a token bucket that damps reconnect
// storms across connections, an abortable sleep, and a paced send queue.

/** Full jitter: uniform in [0, min(max, base · 2^attempt)). */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

export class AbortError extends Error {
  constructor() {
    super('aborted');
    this.name = 'AbortError';
  }
}

/** Resolves after `ms`, or rejects with AbortError as soon as `signal` aborts (the timer is cleared). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortError());
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AbortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Tokens refill continuously at `perSecond` up to `capacity`. Reconnects of
 * every connection take one, so a venue-wide outage cannot turn into a
 * connection storm once the burst is spent.
 */
export class TokenBucket {
  private tokens: number;
  private last = performance.now();

  constructor(
    readonly capacity = 10,
    readonly perSecond = 2,
  ) {
    this.tokens = capacity;
  }

  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
  }

  /** Takes a token if one is there. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Waits (abortably) for a token. */
  async take(signal?: AbortSignal): Promise<void> {
    while (!this.tryTake()) {
      const waitMs = Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
      await sleep(Math.max(1, waitMs), signal);
    }
  }
}

/**
 * Outgoing messages of one connection, at most `perSecond` of them per
 * second (venue request-rate limits). Cleared on close.
 */
export class SendQueue {
  private readonly queue: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastSent = -Infinity;
  private readonly intervalMs: number;

  constructor(
    perSecond: number,
    private readonly send: (text: string) => void,
  ) {
    this.intervalMs = perSecond > 0 ? 1000 / perSecond : 0;
  }

  push(text: string): void {
    this.queue.push(text);
    this.drain();
  }

  get pending(): number {
    return this.queue.length;
  }

  private drain(): void {
    if (this.timer !== undefined) return;
    while (this.queue.length > 0) {
      const now = performance.now();
      const wait = this.lastSent + this.intervalMs - now;
      if (wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.drain();
        }, Math.ceil(wait));
        return;
      }
      this.lastSent = now;
      this.send(this.queue.shift()!);
    }
  }

  clear(): void {
    this.queue.length = 0;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
