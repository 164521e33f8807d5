// The product path in one object: venue connectors (FeedManager) copy frames
// into the engine's input ring; the native engine normalizes, keeps books and
// computes signals; this drains its output ring and hands ticks, signals and
// status to the Kafka sink (or stdout). It owns every piece and shuts them
// down in order: sockets first, then both rings drained, then the producer
// flushed, then the engine freed.
import type { Writable } from 'node:stream';
import type { Logger as PinoLogger } from 'pino';
import type { CanonicalEvent, VenueId } from '../events';
import { BOOK_RECORD_TYPES, decodeBookRecord, type BookState } from '../engine/book-records';
import { Engine } from '../engine/engine';
import { RECORD_TYPES, RecordDecoder } from '../engine/records';
import { ringStats, type RecordView } from '../engine/ring';
import { SignalDecoder, type SignalName, type SignalRecord } from '../engine/signals';
import { createSink, type KafkaSink } from '../sink/sink';
import { publishSignal } from '../sink/publish-signal';
import { FeedManager } from '../venues/manager';
import type { ConnectorCounters, FeedState, FeedStatusEvent, FrameSink } from '../venues/types';
import { shardVenues, type RunConfig } from './config';
import { sinkOptionsFrom } from './sink-options';
import { createStages, resetStages, type Stage, type StageLatency } from './latency';

/** Wall-clock µs since the epoch, the clock connectors stamp frames with (src/venues/connection.ts nowNs). */
function nowUs(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}

function recvUs(record: RecordView): number {
  return (record.recvNsHi >>> 0) * 4_294_967.296 + (record.recvNsLo >>> 0) / 1000;
}

/** Counters the pipeline itself keeps (the connectors, engine and sink keep their own). */
export interface PipelineCounters {
  /** Canonical events decoded from the engine, by type. */
  events: Record<string, number>;
  /** Frames the engine rejected, by `venue|reason`. */
  rejects: Record<string, number>;
  /** Signal records, by kind. */
  signals: Record<string, number>;
  /** Book state changes into a state, by `state|reason`. */
  bookTransitions: Record<string, number>;
  /** Resync requests the engine made. */
  resyncRequests: number;
  /** Resyncs asked again because a book stayed RESYNCING (its snapshot lost or refused). */
  resyncRetries: number;
  /** Frames refused by a full input ring (also counted per connector as drops). */
  inputRingDrops: number;
  /** Records the sink did not keep (droppable with the buffer full). */
  notPublished: number;
  /** Output records that could not be decoded or handed over (a bug or a full journal; logged). */
  recordErrors: number;
  /** Signals written to stdout (output `stdout`). */
  printed: number;
}

/**
 * Where frames come from: the venue connectors (FeedManager, the default) or
 * anything else that writes frames into the sink it is given and can take
 * the engine's resync requests (docs/operations.md).
 */
export interface FrameSource {
  start(): Promise<void>;
  /** Stops writing frames; resolves once nothing more will be written. */
  close(): Promise<void>;
  venues(): VenueId[];
  counters(): Partial<Record<VenueId, ConnectorCounters>> & { total: ConnectorCounters };
  /** Takes a resync request (record type 24); true when the record was one. */
  handleEngineRecord(record: RecordView, decoder: RecordDecoder): boolean;
  /** Asks again for a book's snapshot (when a resync did not bring the book back). */
  resync?(venue: VenueId, symbol: string, reason: string): Promise<void>;
  /** Consumer lag per topic partition, for sources that read a log (the Kafka source; docs/capture.md). */
  lag?(): SourceLag[];
  /** Further running totals of the source (e.g. `replayed`, `commits`), exported as `tickwire_source_<name>_total`. */
  sourceCounters?(): Record<string, number>;
}

export interface SourceLag {
  topic: string;
  partition: number;
  /** Messages between the next one to be processed and the partition's high watermark. */
  messages: number;
}

/** A book still RESYNCING this long after the last request is asked for again, doubling up to the max. */
export const RESYNC_RETRY_MS = 5000;
export const RESYNC_RETRY_MAX_MS = 60_000;

export interface FrameSourceContext {
  /** The input ring's writer end, counting drops and waking the engine. */
  sink: FrameSink;
  /** The venues and symbols of this shard. */
  venues: RunConfig['venues'];
  log: PinoLogger;
  onStatus: (e: FeedStatusEvent) => void;
  /**
   * Inline mode: runs every frame written so far through the engine and hands
   * all of its output on before returning (the ring is emptied even when the
   * output ring fills midway). Lets a source tell which outputs came from
   * which frames. Returns the frames handled.
   */
  process(): number;
  /**
   * false: engine output still updates the engine-side state, counters and
   * books but is not handed to the sink or stdout (a restart replaying frames
   * whose outputs were already published; docs/capture.md).
   */
  setPublishing(on: boolean): void;
  /** Resolves true once every output handed to the sink so far is acknowledged (at once for stdout). */
  flush(timeoutMs: number): Promise<boolean>;
}

export interface PipelineOptions {
  config: RunConfig;
  log: PinoLogger;
  /** Builds the frame source (default: a FeedManager over the configured venues). */
  source?: (ctx: FrameSourceContext) => FrameSource;
  /** Where `sink.output: stdout` writes signals (default process.stdout). */
  stdout?: Writable;
  /** Called for every decoded signal (the live view keeps the latest ones). */
  onSignal?: (signal: SignalRecord) => void;
}

export interface BookInfo {
  state: BookState;
  reason: string;
  since: number;
}

export class Pipeline {
  readonly config: RunConfig;
  readonly engine: Engine;
  readonly feeds: FrameSource;
  readonly sink: KafkaSink | undefined;
  readonly stages: Record<Stage, StageLatency> = createStages();
  readonly counters: PipelineCounters = {
    events: {},
    rejects: {},
    signals: {},
    bookTransitions: {},
    resyncRequests: 0,
    resyncRetries: 0,
    inputRingDrops: 0,
    notPublished: 0,
    recordErrors: 0,
    printed: 0,
  };
  /** Book state per `venue:symbol`, from the engine's book_status records. */
  readonly books = new Map<string, BookInfo>();
  /** Connection states per venue and connection id, from the connectors' status events. */
  readonly connections = new Map<VenueId, Map<number, FeedState>>();
  readonly startedAt = Date.now();

  private readonly log: PinoLogger;
  private readonly decoder = new RecordDecoder();
  private readonly signalDecoder = new SignalDecoder(this.decoder);
  private readonly publishSet: ReadonlySet<SignalName>;
  private readonly stdout: Writable;
  private readonly onSignal: ((s: SignalRecord) => void) | undefined;
  /** Books waiting for a resync: when it was last asked for and the wait before asking again. */
  private readonly resyncWaits = new Map<string, { venue: VenueId; symbol: string; at: number; delay: number }>();
  private resyncTimer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
  private pollStartUs = 0;
  private pollEndUs = 0;
  private lastDecodeErrorLog = 0;
  /** See FrameSourceContext.setPublishing. */
  private publishing = true;
  private readonly onRecordBound = (record: RecordView): void => this.onRecord(record);

  constructor(opts: PipelineOptions) {
    const c = opts.config;
    this.config = c;
    this.log = opts.log;
    this.stdout = opts.stdout ?? process.stdout;
    this.onSignal = opts.onSignal;
    this.publishSet = new Set(c.signals.publish);
    const venues = shardVenues(c);
    if (Object.keys(venues).length === 0) {
      throw new Error(`shard ${c.shard.index}/${c.shard.count} owns none of the configured instruments`);
    }
    this.engine = new Engine({
      mode: c.engine.mode,
      pipeline: 'normalize',
      inputCapacity: c.engine.inputRingBytes,
      outputCapacity: c.engine.outputRingBytes,
      maxFrameBytes: c.engine.maxFrameBytes,
      books: c.engine.books,
      signals: c.signals.enabled,
      signalConfig: c.signals.params,
      krakenDepth: c.engine.krakenDepth,
      staleAfterMs: c.engine.staleAfterMs,
      // Page faults on first use would land on the hot path as latency spikes.
      prefault: true,
    });
    try {
      const writer = this.engine.writer;
      const sink: FrameSink = {
        write: (meta, payload) => {
          const ok = writer.write(meta, payload);
          if (!ok) this.counters.inputRingDrops++;
          this.schedule();
          return ok;
        },
      };
      const connectorLog = this.log.child({ component: 'connector' });
      const onStatus = (e: FeedStatusEvent): void => this.onFeedStatus(e);
      // The sink exists before the source so that the source's flush() can use it.
      this.sink = c.sink.output === 'kafka' ? this.createSink() : undefined;
      this.feeds =
        opts.source !== undefined
          ? opts.source({
              sink,
              venues,
              log: this.log.child({ component: 'source' }),
              onStatus,
              process: () => this.processAll(),
              setPublishing: (on) => {
                this.publishing = on;
              },
              flush: async (timeoutMs) => (this.sink === undefined ? true : this.sink.flush(timeoutMs)),
            })
          : new FeedManager({ venues }, { sink, logger: connectorLog, onStatus });
    } catch (e) {
      // A source that failed to build must not leave the producer's loop running.
      void this.sink?.close({ timeoutMs: 0 });
      this.engine.close();
      throw e;
    }
  }

  private createSink(): KafkaSink {
    const s = this.config.sink;
    const log = this.log.child({ component: 'sink' });
    const ack = this.stages.ack;
    const recvToAck = this.stages.recv_to_ack;
    return createSink({
      ...sinkOptionsFrom(s, log),
      onAck: (us, recvNs) => {
        if (us !== undefined) ack.record(us * 1000);
        // ns since the epoch as text: a double keeps it to ~0.25 µs, plenty for a latency.
        if (recvNs !== undefined) recvToAck.record(nowUs() * 1000 - Number(recvNs));
      },
    });
  }

  /** Connects every venue; frames flow from here on. */
  async start(): Promise<void> {
    this.resyncTimer = setInterval(() => this.retryResyncs(Date.now()), 1000);
    this.resyncTimer.unref();
    if (this.config.engine.mode === 'thread') {
      // The native thread drains the input; this drains its output.
      this.pollTimer = setInterval(() => this.drainOutput(), 1);
    }
    await this.feeds.start();
  }

  // ---------------------------------------------------------------- hot loop

  private schedule(): void {
    if (this.scheduled || this.config.engine.mode !== 'inline') return;
    this.scheduled = true;
    // Frames that arrive in one event-loop turn are handled in one native call.
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** Inline mode: one native call for every frame waiting, then the output drained. */
  pump(): number {
    if (this.engine.closed) return 0;
    const t0 = process.hrtime.bigint();
    this.pollStartUs = nowUs();
    const handled = this.engine.poll();
    const ns = Number(process.hrtime.bigint() - t0);
    this.pollEndUs = this.pollStartUs + ns / 1000;
    if (handled > 0) this.stages.engine.recordMany(ns / handled, handled);
    this.engine.reader.drain(this.onRecordBound);
    return handled;
  }

  /** FrameSourceContext.process: pumps until the input ring is empty. */
  private processAll(): number {
    if (this.config.engine.mode !== 'inline') throw new Error('process() needs engine.mode: inline');
    let total = 0;
    for (;;) {
      total += this.pump();
      if (this.engine.closed || ringStats(this.engine.input).usedBytes === 0) return total;
    }
  }

  private drainOutput(): void {
    if (this.engine.closed) return;
    this.pollStartUs = this.pollEndUs = nowUs();
    this.engine.reader.drain(this.onRecordBound);
  }

  private onRecord(record: RecordView): void {
    const type = record.type;
    try {
      if (type >= RECORD_TYPES.symbol && type <= RECORD_TYPES.reject) {
        const ev = this.decoder.decode(record);
        if (ev !== null) this.onEvent(ev, record);
      } else if (SignalDecoder.isSignalType(type)) {
        const s = this.signalDecoder.decode(record);
        if (s !== null) this.onSignalRecord(s, record);
      } else if (type === BOOK_RECORD_TYPES.resync) {
        this.counters.resyncRequests++;
        this.feeds.handleEngineRecord(record, this.decoder);
        const ev = decodeBookRecord(record, this.decoder);
        if (ev?.type === 'resync') {
          const key = `${ev.venue}:${ev.symbol}`;
          this.resyncWaits.set(key, { venue: ev.venue, symbol: ev.symbol, at: Date.now(), delay: RESYNC_RETRY_MS });
        }
      } else if (type === BOOK_RECORD_TYPES.bookStatus) {
        const ev = decodeBookRecord(record, this.decoder);
        if (ev?.type === 'book_status') this.onBookStatus(ev);
      }
    } catch (e) {
      this.counters.recordErrors++;
      const now = Date.now();
      if (now - this.lastDecodeErrorLog > 1000) {
        this.lastDecodeErrorLog = now;
        this.log.error({ err: e, type }, 'an engine output record could not be handled');
      }
    }
  }

  private onEvent(ev: CanonicalEvent, record: RecordView): void {
    const c = this.counters;
    c.events[ev.type] = (c.events[ev.type] ?? 0) + 1;
    const recv = recvUs(record);
    this.stages.queue.record((this.pollStartUs - recv) * 1000);
    switch (ev.type) {
      case 'trade':
      case 'bbo':
      case 'book':
      case 'derivative':
        if (ev.ts !== null) this.stages.feed.record((ev.recvTs - ev.ts) * 1000);
        break;
      case 'reject': {
        const key = `${ev.venue}|${ev.reason}`;
        const n = (c.rejects[key] = (c.rejects[key] ?? 0) + 1);
        // The first of each kind and then every 1000th: visible without flooding.
        if (n === 1 || n % 1000 === 0) {
          this.log.warn({ venue: ev.venue, reason: ev.reason, count: n, sample: ev.sample }, 'frame rejected');
        }
        break;
      }
      case 'status':
        // Heartbeats and pongs are counted, not published: they say nothing a consumer needs.
        if (ev.kind === 'heartbeat' || ev.kind === 'pong') return;
        if (ev.kind === 'venue_error') this.log.warn({ venue: ev.venue, detail: ev.detail }, 'venue error');
        break;
    }
    if (this.sink === undefined || !this.publishing) return;
    if (!this.sink.publishEvent(ev)) c.notPublished++;
    const now = nowUs();
    this.stages.handoff.record((now - this.pollEndUs) * 1000);
    this.stages.recv_to_handoff.record((now - recv) * 1000);
  }

  private onSignalRecord(s: SignalRecord, record: RecordView): void {
    const c = this.counters;
    c.signals[s.signal] = (c.signals[s.signal] ?? 0) + 1;
    this.onSignal?.(s);
    if (!this.publishSet.has(s.signal) || !this.publishing) return;
    if (this.sink !== undefined) {
      const recvNs = (BigInt(record.recvNsHi >>> 0) << 32n) | BigInt(record.recvNsLo >>> 0);
      if (!publishSignal(this.sink, s, { recvNs })) c.notPublished++;
      const now = nowUs();
      this.stages.handoff.record((now - this.pollEndUs) * 1000);
      this.stages.recv_to_handoff.record((now - recvUs(record)) * 1000);
    } else {
      this.stdout.write(`${JSON.stringify(s)}\n`);
      c.printed++;
    }
  }

  private onBookStatus(ev: Extract<ReturnType<typeof decodeBookRecord>, { type: 'book_status' }>): void {
    const transition = `${ev.state}|${ev.reason}`;
    this.counters.bookTransitions[transition] = (this.counters.bookTransitions[transition] ?? 0) + 1;
    const key = `${ev.venue}:${ev.symbol}`;
    this.books.set(key, { state: ev.state, reason: ev.reason, since: Date.now() });
    if (ev.state === 'VALID') this.resyncWaits.delete(key);
    const fields = { venue: ev.venue, symbol: ev.symbol, state: ev.state, previous: ev.previous, reason: ev.reason };
    if (ev.state === 'VALID' || ev.state === 'SYNCING') this.log.info(fields, 'book state');
    else this.log.warn(fields, 'book state');
    if (this.publishing && this.sink?.publish('status', ev) === false) this.counters.notPublished++;
  }

  private onFeedStatus(e: FeedStatusEvent): void {
    if (e.symbol === undefined) {
      let conns = this.connections.get(e.venue);
      if (conns === undefined) this.connections.set(e.venue, (conns = new Map()));
      if (e.state === 'closed') conns.delete(e.connection);
      else conns.set(e.connection, e.state);
    }
    const fields = { venue: e.venue, connection: e.connection, state: e.state, reason: e.reason, symbol: e.symbol };
    if (e.state === 'stale' || e.state === 'reconnecting') this.log.warn(fields, 'feed state');
    else this.log.info(fields, 'feed state');
    if (this.sink !== undefined && !this.engine.closed) {
      try {
        this.sink.publish('status', e);
      } catch (err) {
        // The sink may already be closed during shutdown: the state change is still logged above.
        this.log.debug({ err }, 'feed status not published');
      }
    }
  }

  /**
   * A resync can fail without anyone noticing: the snapshot frame lost or
   * malformed on the wire, a REST call given up. The engine asks once per
   * transition, so a book still RESYNCING after the wait is asked for again.
   */
  retryResyncs(now: number): void {
    for (const [key, w] of this.resyncWaits) {
      if (this.books.get(key)?.state !== 'RESYNCING') continue;
      if (now - w.at < w.delay) continue;
      this.counters.resyncRetries++;
      this.log.warn({ venue: w.venue, symbol: w.symbol, waitedMs: now - w.at }, 'book still RESYNCING: asking again');
      w.at = now;
      w.delay = Math.min(w.delay * 2, RESYNC_RETRY_MAX_MS);
      this.feeds.resync?.(w.venue, w.symbol, 'still resyncing').catch((err: unknown) => {
        this.log.warn({ err, venue: w.venue, symbol: w.symbol }, 'resync retry failed');
      });
    }
  }

  // ---------------------------------------------------------------- health

  /** Why the pipeline is not ready (empty when ready): connected, books VALID, Kafka reachable. */
  notReady(): string[] {
    const out: string[] = [];
    for (const venue of this.feeds.venues()) {
      const states = [...(this.connections.get(venue)?.values() ?? [])];
      if (!states.some((s) => s === 'subscribed' || s === 'open')) out.push(`${venue}: not connected`);
    }
    if (this.config.engine.books) {
      for (const venue of this.feeds.venues()) {
        const vc = this.config.venues[venue];
        if (vc?.channels !== undefined && !vc.channels.includes('book')) continue;
        for (const symbol of shardVenues(this.config)[venue]?.symbols ?? []) {
          const b = this.books.get(`${venue}:${symbol}`);
          if (b?.state !== 'VALID') out.push(`${venue}:${symbol}: book ${b?.state ?? 'not yet synced'}`);
        }
      }
    }
    if (this.sink !== undefined && this.sink.counters().connected !== 1) out.push('kafka: not connected');
    return out;
  }

  /** Starts every latency histogram afresh (benchmarks call it after their warm-up; SIGUSR2 in `tickwire run`). */
  resetLatency(): void {
    resetStages(this.stages);
  }

  /** Rejects as a plain list for metrics: venue, reason, count. */
  rejectCounts(): Array<{ venue: string; reason: string; count: number }> {
    return Object.entries(this.counters.rejects).map(([k, count]) => {
      const [venue = '', reason = ''] = k.split('|');
      return { venue, reason, count };
    });
  }

  // ---------------------------------------------------------------- shutdown

  /**
   * Graceful stop: close the sockets, drain both rings through the engine,
   * flush the producer (bounded by sink.flushTimeoutMs; what is left goes to
   * the journal), free the engine. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    if (this.resyncTimer !== undefined) clearInterval(this.resyncTimer);
    await this.feeds.close();
    if (this.pollTimer !== undefined) clearInterval(this.pollTimer);
    const deadline = Date.now() + 5000;
    for (;;) {
      if (this.config.engine.mode === 'inline') this.pump();
      else this.drainOutput();
      const st = this.engine.stats();
      if (st.input.usedBytes === 0 && st.output.usedBytes === 0) break;
      if (Date.now() > deadline) {
        this.log.error(
          { inputBytes: st.input.usedBytes, outputBytes: st.output.usedBytes },
          'rings not drained within 5 s at shutdown',
        );
        break;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    if (this.sink !== undefined) {
      const k = await this.sink.close({ timeoutMs: this.config.sink.flushTimeoutMs });
      this.log.info(
        { delivered: k.delivered, spilledAtClose: k.spilledAtClose, journalUnread: k.journalUnread },
        'Kafka producer closed',
      );
    }
    this.engine.close();
  }
}
