// Fault injection: rules that act on the frames of a connection (drop,
// duplicate, reorder, malformed, bad checksum), on the connection itself
// (stall, slow delivery, abrupt disconnect, planned shutdown notice) or on
// REST requests (500, 429). Every fault that fires is counted.
import type { VenueId } from '../events';
import { isVenueId } from '../events';
import { Rng } from './rng';

export const FAULT_KINDS = [
  'drop',
  'duplicate',
  'reorder',
  'malformed',
  'checksum',
  'stall',
  'slow',
  'disconnect',
  'shutdown',
  'rest500',
  'rest429',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export function isFaultKind(value: string): value is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(value);
}

export interface FaultSpec {
  /** Only this venue (default: all). */
  venue?: VenueId;
  kind: FaultKind;
  /** Chance per eligible frame / request (default 1). */
  probability?: number;
  /** Fire at most this many times, then the rule is spent (default: unlimited). */
  count?: number;
  /** stall / slow: how long (default 2000 ms); shutdown: delay between notice and close (default 500 ms). */
  durationMs?: number;
  /** reorder: a held frame is released after this many later frames (default 2). */
  window?: number;
}

export interface FaultRule extends FaultSpec {
  id: number;
  fired: number;
}

export type FaultCounts = Record<FaultKind, number>;

export function emptyCounts(): FaultCounts {
  const c = {} as FaultCounts;
  for (const k of FAULT_KINDS) c[k] = 0;
  return c;
}

/** Checks a fault spec from untrusted input (control API, CLI). */
export function parseFaultSpec(value: unknown): FaultSpec {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('fault must be an object');
  const v = value as Record<string, unknown>;
  if (typeof v.kind !== 'string' || !isFaultKind(v.kind))
    throw new Error(`unknown fault kind '${String(v.kind)}' (one of ${FAULT_KINDS.join(', ')})`);
  const spec: FaultSpec = { kind: v.kind };
  if (v.venue !== undefined) {
    if (typeof v.venue !== 'string' || !isVenueId(v.venue)) throw new Error(`unknown venue '${String(v.venue)}'`);
    spec.venue = v.venue;
  }
  const num = (key: 'probability' | 'count' | 'durationMs' | 'window', lo: number, hi: number): void => {
    const x = v[key];
    if (x === undefined) return;
    if (typeof x !== 'number' || !Number.isFinite(x) || x < lo || x > hi)
      throw new Error(`fault ${key} must be a number in [${lo}, ${hi}]`);
    spec[key] = x;
  };
  num('probability', 0, 1);
  num('count', 1, 1e12);
  num('durationMs', 0, 3_600_000);
  num('window', 1, 1000);
  return spec;
}

/** `kind[:probability[:durationMs]][@venue]`, e.g. `drop:0.01`, `stall:0.0001:3000@kraken`. */
export function parseFaultFlag(flag: string): FaultSpec {
  const [body, venue] = flag.split('@') as [string, string | undefined];
  const [kind, prob, dur] = body.split(':');
  const raw: Record<string, unknown> = { kind };
  if (prob !== undefined && prob !== '') raw.probability = Number(prob);
  if (dur !== undefined && dur !== '') raw.durationMs = Number(dur);
  if (venue !== undefined) raw.venue = venue;
  return parseFaultSpec(raw);
}

export class FaultController {
  private rules: FaultRule[] = [];
  private nextId = 1;
  readonly counts: FaultCounts = emptyCounts();
  readonly byVenue = new Map<VenueId, FaultCounts>();
  private readonly rng: Rng;

  constructor(seed: number) {
    this.rng = new Rng(seed);
  }

  /** Adds a rule; returns its id. */
  inject(spec: FaultSpec): number {
    const checked = parseFaultSpec(spec);
    const rule: FaultRule = { ...checked, id: this.nextId++, fired: 0 };
    this.rules.push(rule);
    return rule.id;
  }

  /** Removes one rule, or all rules. */
  clear(id?: number): void {
    this.rules = id === undefined ? [] : this.rules.filter((r) => r.id !== id);
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  get active(): boolean {
    return this.rules.length > 0;
  }

  /**
   * The first live rule of `kind` for `venue` that fires now, or undefined.
   * A firing rule is counted and spends one of its `count`.
   */
  roll(kind: FaultKind, venue: VenueId): FaultRule | undefined {
    for (const r of this.rules) {
      if (r.kind !== kind || (r.venue !== undefined && r.venue !== venue)) continue;
      if (r.count !== undefined && r.fired >= r.count) continue;
      if (r.probability !== undefined && r.probability < 1 && !this.rng.chance(r.probability)) continue;
      r.fired++;
      this.count(kind, venue);
      return r;
    }
    return undefined;
  }

  /** Whether any live rule of these kinds exists (fast path for the send loop). */
  has(kind: FaultKind): boolean {
    return this.rules.some((r) => r.kind === kind && (r.count === undefined || r.fired < r.count));
  }

  count(kind: FaultKind, venue: VenueId): void {
    this.counts[kind]++;
    let v = this.byVenue.get(venue);
    if (!v) this.byVenue.set(venue, (v = emptyCounts()));
    v[kind]++;
  }

  /** Malformed variant of a frame: truncated, invalid JSON, or wrong value types. */
  malform(text: string): string {
    const r = this.rng.int(3);
    if (r === 0) return text.slice(0, Math.max(1, Math.floor(text.length / 2)));
    if (r === 1) return `${text.slice(0, -1)},}`;
    // Wrong types: object values that are decimal strings become numbers and numbers become strings.
    const swapped = text.replace(/:("?)(-?\d+(?:\.\d+)?)\1(?=[,}\]])/g, (_m, q: string, n: string) =>
      q ? `:${n}` : `:"${n}"`,
    );
    return swapped === text ? `${text.slice(0, -1)},}` : swapped;
  }

  /** Flips the low bit of a frame's `"checksum":N`. */
  static corruptChecksum(text: string): string {
    return text.replace(/"checksum":(-?\d+)/, (_m, n: string) => {
      const v = Number(n);
      return `"checksum":${v < 0 ? v ^ 1 : (v ^ 1) >>> 0}`;
    });
  }
}
