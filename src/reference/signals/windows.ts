// Event-time containers of the signal reference, mirroring
// native/signals/windows.h operation for operation (same sums in the same
// order), so that both engines produce the same doubles.

/** floor(a / b) · b, exactly, for integer a and b > 0 (|a| < 2^53). */
export function floorStart(a: number, b: number): number {
  return a - (((a % b) + b) % b);
}
/** floor(a / b), exactly, for integer a and b > 0. */
export function floorDiv(a: number, b: number): number {
  return (a - (((a % b) + b) % b)) / b;
}

export interface Timed {
  ts: number;
}

/** Circular buffer sorted by ts; equal times keep arrival order. */
export class SortedRing<T extends Timed> {
  private buf: (T | undefined)[] = [];
  private head = 0;
  private count = 0;
  private mask = 0;

  get size(): number {
    return this.count;
  }

  at(i: number): T {
    return this.buf[(this.head + i) & this.mask] as T;
  }

  front(): T {
    return this.at(0);
  }

  /** Inserts after every entry with ts <= v.ts and returns its index. */
  insert(v: T): number {
    if (this.count === this.buf.length) this.grow();
    let pos = this.count;
    while (pos > 0 && this.at(pos - 1).ts > v.ts) pos--;
    for (let i = this.count; i > pos; i--) this.buf[(this.head + i) & this.mask] = this.at(i - 1);
    this.buf[(this.head + pos) & this.mask] = v;
    this.count++;
    return pos;
  }

  popFront(): void {
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.count--;
  }

  private grow(): void {
    const cap = this.buf.length === 0 ? 16 : this.buf.length * 2;
    const next: (T | undefined)[] = new Array<T | undefined>(cap);
    for (let i = 0; i < this.count; i++) next[i] = this.at(i);
    this.buf = next;
    this.head = 0;
    this.mask = cap - 1;
  }
}

interface SumEntry {
  ts: number;
  value: number;
}

/** Σ value over entries with ts in (T − window, T], T = the largest ts added. */
export class SumWindow {
  private maxTsValue = 0;
  private hasMax = false;
  private sumValue = 0;
  private removals = 0;
  private readonly entries = new SortedRing<SumEntry>();

  constructor(readonly window: number) {}

  get maxTs(): number {
    return this.maxTsValue;
  }
  get sum(): number {
    return this.sumValue;
  }

  add(ts: number, value: number): void {
    if (this.hasMax && ts <= this.maxTsValue - this.window) return;
    this.entries.insert({ ts, value });
    this.sumValue += value;
    if (!this.hasMax || ts > this.maxTsValue) {
      this.maxTsValue = ts;
      this.hasMax = true;
    }
    const cutoff = this.maxTsValue - this.window;
    while (this.entries.size > 0 && this.entries.front().ts <= cutoff) {
      this.sumValue -= this.entries.front().value;
      this.entries.popFront();
      this.removals++;
    }
    if (this.removals >= this.entries.size) this.rebuild();
  }

  private rebuild(): void {
    this.sumValue = 0;
    for (let i = 0; i < this.entries.size; i++) this.sumValue += this.entries.at(i).value;
    this.removals = 0;
  }
}
