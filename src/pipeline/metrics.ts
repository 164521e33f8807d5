// Prometheus metrics of a running pipeline (prom-client). Every family reads
// its values at scrape time from the counters the parts already keep
// (connectors, engine, rings, sink, the pipeline itself), so the hot path pays
// nothing for being observed. docs/operations.md lists every metric.
import { Counter, Gauge, Registry, collectDefaultMetrics, type LabelValues } from 'prom-client';
import { BOOK_STATES } from '../engine/book-records';
import { ringStats } from '../engine/ring';
import { CONNECTOR_METRICS, type ConnectorCounters } from '../venues/types';
import { STAGES } from './latency';
import type { Pipeline } from './pipeline';

type Sample = [LabelValues<string>, number];

const QUANTILES: Array<[string, number]> = [
  ['0.5', 50],
  ['0.9', 90],
  ['0.99', 99],
  ['0.999', 99.9],
  ['1', 100],
];

/** Sink counters that are levels. */
const SINK_GAUGES = new Set([
  'memoryRecords',
  'memoryBytes',
  'conflationKeys',
  'journalUnread',
  'journalDiskBytes',
  'inFlight',
  'connected',
]);

export function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function createMetrics(p: Pipeline): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tickwire_' });

  const counter = (name: string, help: string, labelNames: string[], read: () => Sample[]): void => {
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const [labels, v] of read()) if (v > 0) this.inc(labels, v);
      },
    });
  };
  const gauge = (name: string, help: string, labelNames: string[], read: () => Sample[]): void => {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const [labels, v] of read()) this.set(labels, v);
      },
    });
  };

  // Latency: quantiles of the HDR histograms since start, like a Prometheus summary.
  gauge(
    'tickwire_stage_latency_seconds',
    'Per-stage latency quantiles since start (HDR histogram)',
    ['stage', 'quantile'],
    () =>
      STAGES.flatMap((stage) => {
        const h = p.stages[stage].total;
        if (h.totalCount === 0) return [];
        return QUANTILES.map(([q, pct]): Sample => [{ stage, quantile: q }, h.getValueAtPercentile(pct) / 1e9]);
      }),
  );
  counter('tickwire_stage_latency_count', 'Values recorded per latency stage', ['stage'], () =>
    STAGES.map((stage): Sample => [{ stage }, p.stages[stage].total.totalCount]),
  );

  // Connectors: every counter and gauge they keep, per venue.
  for (const [key, m] of Object.entries(CONNECTOR_METRICS)) {
    const read = (): Sample[] => {
      const all = p.feeds.counters();
      return p.feeds
        .venues()
        .map((venue): Sample => [{ venue }, Number(all[venue]?.[key as keyof ConnectorCounters] ?? 0)]);
    };
    if (m.kind === 'gauge') gauge(`tickwire_feed_${snake(key)}`, m.help, ['venue'], read);
    else counter(`tickwire_feed_${snake(key)}_total`, m.help, ['venue'], read);
  }

  // Engine output, as decoded here.
  const byKey = (obj: Record<string, number>, label: string) => (): Sample[] =>
    Object.entries(obj).map(([k, v]): Sample => [{ [label]: k }, v]);
  counter(
    'tickwire_events_total',
    'Canonical events out of the engine, by type',
    ['type'],
    byKey(p.counters.events, 'type'),
  );
  counter(
    'tickwire_signals_total',
    'Signal records out of the engine, by kind',
    ['signal'],
    byKey(p.counters.signals, 'signal'),
  );
  counter(
    'tickwire_rejects_total',
    'Frames rejected by the normalizers, by venue and reason',
    ['venue', 'reason'],
    () => p.rejectCounts().map((r): Sample => [{ venue: r.venue, reason: r.reason }, r.count]),
  );
  counter('tickwire_book_transitions_total', 'Book state changes, by new state and reason', ['state', 'reason'], () =>
    Object.entries(p.counters.bookTransitions).map(([k, v]): Sample => {
      const [state = '', reason = ''] = k.split('|');
      return [{ state, reason }, v];
    }),
  );
  gauge('tickwire_books', 'Books per state', ['state'], () => {
    const n: Record<string, number> = Object.fromEntries(BOOK_STATES.map((s) => [s, 0]));
    for (const b of p.books.values()) n[b.state] = (n[b.state] ?? 0) + 1;
    return Object.entries(n).map(([state, v]): Sample => [{ state }, v]);
  });
  counter('tickwire_resync_requests_total', 'Book resyncs the engine asked the connectors for', [], () => [
    [{}, p.counters.resyncRequests],
  ]);
  counter('tickwire_resync_retries_total', 'Resyncs asked again because a book stayed RESYNCING', [], () => [
    [{}, p.counters.resyncRetries],
  ]);
  counter('tickwire_records_not_published_total', 'Records the sink did not keep (droppable, buffer full)', [], () => [
    [{}, p.counters.notPublished],
  ]);
  counter('tickwire_record_errors_total', 'Engine output records that could not be handled (logged)', [], () => [
    [{}, p.counters.recordErrors],
  ]);

  // Rings and the native engine.
  gauge('tickwire_ring_used_bytes', 'Bytes waiting in a ring', ['ring'], () => [
    [{ ring: 'input' }, ringStats(p.engine.input).usedBytes],
    [{ ring: 'output' }, ringStats(p.engine.output).usedBytes],
  ]);
  gauge('tickwire_ring_capacity_bytes', 'Ring capacity', ['ring'], () => [
    [{ ring: 'input' }, ringStats(p.engine.input).capacity],
    [{ ring: 'output' }, ringStats(p.engine.output).capacity],
  ]);
  counter('tickwire_ring_drops_total', 'Records refused by a full ring', ['ring'], () => [
    [{ ring: 'input' }, ringStats(p.engine.input).dropped],
    [{ ring: 'output' }, ringStats(p.engine.output).dropped],
  ]);
  const engineStat = (key: string) => (): Sample[] => {
    if (p.engine.closed) return [];
    const v = (p.engine.stats() as unknown as Record<string, unknown>)[key];
    return typeof v === 'number' ? [[{}, v]] : [];
  };
  for (const [key, help] of [
    ['framesIn', 'Frames the engine read'],
    ['recordsOut', 'Records the engine wrote'],
    ['outputFull', 'Times the engine waited for room in the output ring'],
    ['bookUpdates', 'Book updates applied'],
    ['bookGaps', 'Sequence gaps detected'],
    ['bookChecksumFailures', 'Book checksum mismatches'],
    ['bookResyncs', 'Books that went to RESYNCING'],
    ['lateTrades', 'Trades behind the watermark'],
    ['lateDropped', 'Late trades dropped (policy drop)'],
  ] as const) {
    counter(`tickwire_engine_${snake(key)}_total`, help, [], engineStat(key));
  }

  // Kafka sink.
  if (p.sink !== undefined) {
    const sink = p.sink;
    for (const key of Object.keys(sink.counters())) {
      const read = (): Sample[] => [[{}, Number((sink.counters() as unknown as Record<string, number>)[key])]];
      if (SINK_GAUGES.has(key)) gauge(`tickwire_sink_${snake(key)}`, `Sink gauge ${key}`, [], read);
      else counter(`tickwire_sink_${snake(key)}_total`, `Sink counter ${key}`, [], read);
    }
  }
  // Sources that read a log (the Kafka source of docs/capture.md): consumer lag and their own totals.
  const feeds = p.feeds;
  if (feeds.lag !== undefined) {
    const lag = feeds.lag.bind(feeds);
    gauge(
      'tickwire_source_lag_messages',
      'Messages between the next one to process and the high watermark, per topic partition',
      ['topic', 'partition'],
      () => lag().map((l): Sample => [{ topic: l.topic, partition: String(l.partition) }, l.messages]),
    );
  }
  if (feeds.sourceCounters !== undefined) {
    const read = feeds.sourceCounters.bind(feeds);
    for (const key of Object.keys(read())) {
      counter(`tickwire_source_${snake(key)}_total`, `Source counter ${key}`, [], () => [[{}, read()[key] ?? 0]]);
    }
  }
  gauge('tickwire_ready', '1 when connected, every book VALID and Kafka reachable', [], () => [
    [{}, p.notReady().length === 0 ? 1 : 0],
  ]);
  return registry;
}

/** Every sample of the registry as `name{labels}` → value: the `md.metrics` snapshot. */
export async function flatMetrics(registry: Registry): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const m of await registry.getMetricsAsJSON()) {
    if (
      !m.name.startsWith('tickwire_') ||
      m.name.startsWith('tickwire_process_') ||
      m.name.startsWith('tickwire_nodejs_')
    )
      continue;
    for (const v of m.values as Array<{ value: number; labels: Record<string, string | number> }>) {
      const labels = Object.entries(v.labels)
        .map(([k, l]) => `${k}="${l}"`)
        .join(',');
      out[labels ? `${m.name}{${labels}}` : m.name] = v.value;
    }
  }
  return out;
}
