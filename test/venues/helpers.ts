// Test support for the connectors: a simulator per test, a real input ring
// drained into (a) a list of frames and (b) an inline normalize engine, and
// guards for unhandled rejections and leaked sockets / timers.
import assert from 'node:assert/strict';
import type { CanonicalEvent, VenueId } from '../../src/events';
import { Engine } from '../../src/engine/engine';
import { RecordDecoder } from '../../src/engine/records';
import { createRingBuffer, RingReader, RingWriter } from '../../src/engine/ring';
import { EngineStream } from '../../src/engine/stream';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/server';
import type { Connector } from '../../src/venues/connection';
import { createConnector, simulatorVenueUrls } from '../../src/venues/manager';
import type { FeedStatusEvent, Logger, VenueConfig } from '../../src/venues/types';

export interface Frame {
  venue: number;
  aux: number;
  flags: number;
  text: string;
}

/** A real ring the connectors write to; pump() reads it back and runs every frame through the engine. */
export class Capture {
  readonly sab: SharedArrayBuffer;
  readonly writer: RingWriter;
  private readonly reader: RingReader;
  private readonly engine: Engine;
  private readonly stream: EngineStream;
  private readonly decoder = new RecordDecoder();
  readonly frames: Frame[] = [];
  readonly events: CanonicalEvent[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(capacity = 1 << 22, autoPump = true) {
    this.sab = createRingBuffer(capacity);
    this.writer = new RingWriter(this.sab);
    this.reader = new RingReader(this.sab);
    this.engine = new Engine({
      mode: 'inline',
      pipeline: 'normalize',
      inputCapacity: 1 << 22,
      outputCapacity: 1 << 23,
    });
    this.stream = new EngineStream(this.engine, (rec) => {
      const e = this.decoder.decode(rec);
      if (e !== null) this.events.push(e);
    });
    if (autoPump) this.timer = setInterval(() => this.pump(), 20);
  }

  pump(): void {
    this.reader.drain((rec) => {
      const payload = rec.data.subarray(rec.payloadOffset, rec.payloadOffset + rec.length);
      this.frames.push({
        venue: rec.venue,
        aux: rec.aux,
        flags: rec.flags,
        text: Buffer.from(payload).toString('utf8'),
      });
      this.stream.push(
        {
          type: rec.type,
          venue: rec.venue,
          aux: rec.aux,
          flags: rec.flags & 1,
          recvNs: (BigInt(rec.recvNsHi) << 32n) | BigInt(rec.recvNsLo),
        },
        payload,
      );
    });
    this.stream.pump();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.pump();
    this.engine.close();
  }
}

export async function waitFor(pred: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Fast timings for tests. */
export const FAST: Partial<VenueConfig> = {
  keepAlive: { staleMs: 1000, probeIdleMs: 300, pingIntervalMs: 300 },
  backoff: { baseMs: 50, maxMs: 200, stableMs: 60_000 },
  rest: { attempts: 5, baseMs: 50, maxMs: 1500, timeoutMs: 5000, minIntervalMs: 20 },
  overlapMs: 300,
};

export function connectorFor(
  sim: Simulator,
  venue: VenueId,
  capture: Capture,
  config: Partial<VenueConfig> & { symbols: string[]; logger?: Logger },
): { connector: Connector; statuses: FeedStatusEvent[] } {
  const statuses: FeedStatusEvent[] = [];
  const connector = createConnector(venue, {
    ...FAST,
    ...simulatorVenueUrls(`http://127.0.0.1:${sim.port}`, venue),
    ...config,
    sink: capture.writer,
    onStatus: (e) => statuses.push(e),
  });
  return { connector, statuses };
}

export async function withSim(opts: SimulatorOptions, fn: (sim: Simulator) => Promise<void>): Promise<void> {
  const sim = await startSimulator({ seed: 11, port: 0, ...opts });
  try {
    await fn(sim);
  } finally {
    await sim.close();
  }
}

/** Counts of active resources by kind. */
function resources(): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) m.set(r, (m.get(r) ?? 0) + 1);
  return m;
}

/**
 * Fails the test on an unhandled rejection, and when sockets or timers are
 * left behind (resources after ⊆ before, polled briefly: handles close on the next ticks).
 */
export async function guarded(fn: () => Promise<void>): Promise<void> {
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown): void => {
    rejections.push(reason);
  };
  process.on('unhandledRejection', onRejection);
  const before = resources();
  try {
    await fn();
    let leaked: string[] = [];
    const deadline = Date.now() + 3000;
    for (;;) {
      const after = resources();
      leaked = [...after]
        .filter(([k, n]) => n > (before.get(k) ?? 0))
        .map(([k, n]) => `${k} ${before.get(k) ?? 0}→${n}`);
      if (leaked.length === 0 || Date.now() > deadline) break;
      await new Promise<void>((r) => setImmediate(r));
      await sleep(25);
    }
    assert.deepEqual(leaked, [], 'resources left behind');
    assert.deepEqual(rejections, [], 'unhandled promise rejections');
  } finally {
    process.off('unhandledRejection', onRejection);
  }
}

/** A trade id as a number: Bybit's 19-digit spot ids by their last 15 digits (the counter part). */
export function tradeNumber(id: string): number {
  return Number(/^\d{16,}$/.test(id) ? id.slice(-15) : id);
}

export function tradeIdsOf(events: CanonicalEvent[], venue: VenueId, symbol: string): number[] {
  const out: number[] = [];
  for (const e of events) {
    if (e.type === 'trade' && e.venue === venue && e.symbol === symbol) out.push(tradeNumber(e.id));
  }
  return out;
}

/** ids contain every integer from min to max exactly once. */
export function assertContiguousUnique(ids: number[], what: string): void {
  assert.ok(ids.length > 0, `${what}: no trades`);
  const sorted = [...ids].sort((a, b) => a - b);
  const dups = sorted.filter((x, i) => i > 0 && x === sorted[i - 1]);
  assert.deepEqual(dups, [], `${what}: duplicate trade ids`);
  const gaps = sorted.filter((x, i) => i > 0 && x !== sorted[i - 1]! + 1);
  assert.deepEqual(gaps, [], `${what}: gaps in trade ids (after ${sorted[0]})`);
}
