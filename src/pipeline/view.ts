// The live terminal view of `npm start` / `tickwire run --view`: one screen per
// refresh with frames/s per venue, per-stage latency over the last interval,
// ring occupancy, book states, Kafka delivery and the latest signals.
import { ringStats } from '../engine/ring';
import type { BarSignal, BasisSignal, BboSignal, NbboSignal, SignalRecord, TradeStatsSignal } from '../engine/signals';
import { STAGES, summarize } from './latency';
import type { Pipeline } from './pipeline';

/** The latest signals of one venue's instrument (or `*` for consolidated ones). */
interface InstrumentSignals {
  bbo?: BboSignal;
  imbalance?: number;
  bar?: BarSignal;
  stats?: TradeStatsSignal;
  nbbo?: NbboSignal;
  basis?: BasisSignal;
}

/** Keeps the latest signals per instrument (bounded by instruments × venues) for the view. */
export class LatestSignals {
  private readonly latest = new Map<string, InstrumentSignals>();

  add(s: SignalRecord): void {
    const key = `${s.symbol}|${s.venue ?? '*'}`;
    let e = this.latest.get(key);
    if (e === undefined) this.latest.set(key, (e = {}));
    switch (s.signal) {
      case 'bbo':
        e.bbo = s;
        break;
      case 'depth_imbalance':
        e.imbalance = s.value;
        break;
      // The shortest bar and trade window: the liveliest numbers.
      case 'bar':
        if (e.bar === undefined || s.interval <= e.bar.interval) e.bar = s;
        break;
      case 'trade_stats':
        if (e.stats === undefined || s.window <= e.stats.window) e.stats = s;
        break;
      case 'nbbo':
        e.nbbo = s;
        break;
      case 'basis':
        e.basis = s;
        break;
      default:
        break;
    }
  }

  /** One line per venue and instrument, for the first `max` instruments. */
  lines(max: number): string[] {
    const keys = [...this.latest.keys()].sort();
    const symbols = [...new Set(keys.map((k) => k.split('|')[0]))].slice(0, max);
    const out: string[] = [];
    for (const key of keys) {
      const [symbol = '', venue = ''] = key.split('|');
      if (symbols.includes(symbol))
        out.push(`${venue.padEnd(17)} ${symbol.padEnd(14)} ${describe(this.latest.get(key)!)}`);
    }
    return out;
  }
}

function num(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1000 ? v.toFixed(2) : v.toPrecision(6);
}

function describe(e: InstrumentSignals): string {
  const parts: string[] = [];
  if (e.nbbo !== undefined) {
    const n = e.nbbo;
    parts.push(
      `nbbo ${num(n.bidPx)} (${n.bidVenue ?? '-'}) / ${num(n.askPx)} (${n.askVenue ?? '-'})${n.crossed ? ' crossed' : ''}`,
    );
  }
  if (e.basis !== undefined) parts.push(`basis ${e.basis.perpSymbol} ${e.basis.bps.toFixed(2)} bps`);
  if (e.bbo !== undefined) parts.push(`${num(e.bbo.bidPx)} / ${num(e.bbo.askPx)} (${e.bbo.spreadBps.toFixed(2)} bps)`);
  if (e.imbalance !== undefined) parts.push(`imb ${e.imbalance.toFixed(2)}`);
  if (e.bar !== undefined) parts.push(`${e.bar.interval / 1e6}s bar c ${num(e.bar.close)} n ${e.bar.trades}`);
  if (e.stats !== undefined)
    parts.push(`${e.stats.window / 1e6}s vwap ${num(e.stats.vwap)} tfi ${e.stats.tfi.toFixed(2)}`);
  return parts.join('  ');
}

function us(ns: number): string {
  const u = ns / 1000;
  return u >= 1000 ? `${(u / 1000).toFixed(1)}ms` : u >= 10 ? `${u.toFixed(0)}µs` : `${u.toFixed(1)}µs`;
}

function bytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;
}

export class LiveView {
  private last = { at: Date.now(), frames: new Map<string, number>(), delivered: 0 };
  readonly signals = new LatestSignals();

  constructor(private readonly p: Pipeline) {}

  /** One screen; resets the latency windows it reports. */
  render(): string {
    const p = this.p;
    const now = Date.now();
    const dt = Math.max(1, now - this.last.at) / 1000;
    const out: string[] = [];
    const notReady = p.notReady();
    out.push(
      `tickwire  ${new Date(now).toISOString().slice(11, 19)}  up ${Math.round((now - p.startedAt) / 1000)} s  ` +
        (notReady.length === 0
          ? 'READY'
          : `not ready: ${notReady.slice(0, 3).join('; ')}${notReady.length > 3 ? ' …' : ''}`),
      '',
      'venue              frames/s     frames  rejects  conns  reconnects  resyncs',
    );
    const counters = p.feeds.counters();
    const frames = new Map<string, number>();
    const rejects = new Map<string, number>();
    for (const r of p.rejectCounts()) rejects.set(r.venue, (rejects.get(r.venue) ?? 0) + r.count);
    for (const venue of p.feeds.venues()) {
      const k = counters[venue]!;
      frames.set(venue, k.frames);
      const rate = (k.frames - (this.last.frames.get(venue) ?? 0)) / dt;
      out.push(
        `${venue.padEnd(17)} ${rate.toFixed(0).padStart(9)} ${String(k.frames).padStart(10)} ${String(rejects.get(venue) ?? 0).padStart(8)}` +
          ` ${String(k.connectionsOpen).padStart(6)} ${String(k.reconnects).padStart(11)} ${String(k.resyncs).padStart(8)}`,
      );
    }
    out.push('', `latency (last ${dt.toFixed(1)} s)    count      p50      p99      max`);
    for (const stage of STAGES) {
      const h = p.stages[stage].window;
      const s = summarize(h);
      out.push(
        `  ${stage.padEnd(20)} ${String(s.count).padStart(7)} ${(s.count ? us(s.p50) : '-').padStart(8)} ${(s.count ? us(s.p99) : '-').padStart(8)} ${(s.count ? us(s.max) : '-').padStart(8)}`,
      );
      h.reset();
    }
    const input = ringStats(p.engine.input);
    const output = ringStats(p.engine.output);
    out.push(
      '',
      `rings   input ${bytes(input.usedBytes)} / ${bytes(input.capacity)} (${((100 * input.usedBytes) / input.capacity).toFixed(1)}%)` +
        `  output ${bytes(output.usedBytes)} / ${bytes(output.capacity)}  drops ${input.dropped + output.dropped}`,
    );
    const books = [...p.books.entries()].sort(([a], [b]) => a.localeCompare(b));
    out.push(`books   ${books.length === 0 ? '(none yet)' : ''}`);
    for (let i = 0; i < books.length; i += 3) {
      out.push(
        '  ' +
          books
            .slice(i, i + 3)
            .map(([key, b]) => `${key} ${b.state}${b.state === 'VALID' ? '' : `(${b.reason})`}`.padEnd(40))
            .join(''),
      );
    }
    let delivered = this.last.delivered;
    if (p.sink !== undefined) {
      const k = p.sink.counters();
      delivered = k.delivered;
      const pending = k.memoryRecords + k.conflationKeys + k.journalUnread + k.inFlight;
      out.push(
        '',
        `kafka   ${k.connected ? 'connected' : 'NOT CONNECTED'}  acked ${k.delivered} (${((k.delivered - this.last.delivered) / dt).toFixed(0)}/s)` +
          `  pending ${pending}  spilled ${k.spilled}  conflated ${k.conflated}  dropped ${k.dropped}`,
      );
    } else {
      out.push('', `kafka   off (signals to stdout: ${p.counters.printed} printed)`);
    }
    out.push('', 'latest signals');
    for (const line of this.signals.lines(3)) out.push(`  ${line}`);
    this.last = { at: now, frames, delivered };
    return out.join('\n');
  }
}
