// `tickwire capture`: the venue connectors, and every frame they deliver
// published to `<prefix>raw.<venue>` with its receive time (docs/capture.md).
// The raw schema is never-drop: when Kafka is slow the sink spills to its
// journal instead of refusing frames.
//
// A capture has no signals, but it does keep books: the same native engine,
// books only, reads a copy of every frame so that a sequence gap or a checksum
// mismatch makes the connectors fetch a snapshot (Binance REST) or resubscribe
// (the others) — exactly what `tickwire run` does live. The snapshot is
// captured like any frame, so the compute engine, which sees the same gap at
// the same point of the stream, resyncs from it.
import pino, { type Logger as PinoLogger } from 'pino';
import { venueFromCode, type VenueId } from '../events';
import { BOOK_RECORD_TYPES } from '../engine/book-records';
import { Engine } from '../engine/engine';
import { FRAME_RECORD_TYPE, RECORD_TYPES, RecordDecoder } from '../engine/records';
import { ringStats, type RecordMeta, type RecordView } from '../engine/ring';
import { checkBrokers } from '../pipeline/run';
import { redactConfig, type RunConfig } from '../pipeline/config';
import { sinkOptionsFrom } from '../pipeline/sink-options';
import { startSimulator, type Simulator } from '../simulator/server';
import { createSink, type KafkaSink, type SinkCounters } from '../sink/sink';
import { FeedManager, simulatorVenueUrls } from '../venues/manager';
import type { ConnectorCounters, FeedStatusEvent, FrameSink } from '../venues/types';
import { rawFromFrame } from './raw';

export interface CaptureOptions {
  log?: PinoLogger;
  /** Resolves when the capture should stop (besides SIGINT/SIGTERM when handleSignals). */
  until?: Promise<unknown>;
  /** Stop on the first SIGINT/SIGTERM (default: when no `until` is given). */
  handleSignals?: boolean;
  /** Keep books in a local engine and let its resync requests reach the connectors (default true). */
  books?: boolean;
  /** Told once the connectors are started. */
  onStarted?: (capture: Capture) => void;
}

export interface CaptureCounters {
  /** Frames published to the raw topics. */
  frames: number;
  bytes: number;
  /** Frames the sink could not store (its journal full): lost for compute; the connectors resync. */
  refused: number;
  /** Frames the local book engine could not take (its input ring full): its books may resync needlessly. */
  bookDrops: number;
  /** Resyncs the local book engine asked the connectors for. */
  resyncRequests: number;
}

/** A running capture: connectors → raw topics, plus the optional book engine. */
export class Capture {
  readonly feeds: FeedManager;
  readonly sink: KafkaSink;
  readonly counters: CaptureCounters = { frames: 0, bytes: 0, refused: 0, bookDrops: 0, resyncRequests: 0 };
  private readonly engine: Engine | undefined;
  private readonly decoder = new RecordDecoder();
  private readonly log: PinoLogger;
  private scheduled = false;
  private lastRefusedLog = 0;
  private stopping: Promise<SinkCounters> | undefined;
  private readonly onRecordBound = (r: RecordView): void => this.onEngineRecord(r);

  constructor(
    private readonly config: RunConfig,
    log: PinoLogger,
    books: boolean,
  ) {
    this.log = log;
    const c = config;
    this.engine = books
      ? new Engine({
          mode: 'inline',
          pipeline: 'normalize',
          inputCapacity: c.engine.inputRingBytes,
          outputCapacity: c.engine.outputRingBytes,
          maxFrameBytes: c.engine.maxFrameBytes,
          books: true,
          signals: false,
          krakenDepth: c.engine.krakenDepth,
          staleAfterMs: c.engine.staleAfterMs,
        })
      : undefined;
    try {
      this.sink = this.createSink();
      const sink: FrameSink = { write: (meta, payload) => this.onFrame(meta, payload) };
      this.feeds = new FeedManager(
        { venues: c.venues },
        { sink, logger: log.child({ component: 'connector' }), onStatus: (e) => this.onStatus(e) },
      );
    } catch (e) {
      this.engine?.close();
      throw e;
    }
  }

  private createSink(): KafkaSink {
    const s = this.config.sink;
    const log = this.log.child({ component: 'sink' });
    return createSink({ ...sinkOptionsFrom(s, log), clientId: `${s.clientId}-capture` });
  }

  async start(): Promise<void> {
    await this.feeds.start();
  }

  /** The connectors' hot path: one raw record per frame, and a copy for the books. */
  private onFrame(meta: RecordMeta, payload: Uint8Array): boolean {
    const venue = venueFromCode(meta.venue ?? 0);
    if (meta.type !== FRAME_RECORD_TYPE || venue === undefined) return true;
    // A view, not a copy: the sink encodes the value before publish() returns.
    const frame = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    try {
      this.sink.publish('raw', rawFromFrame(venue, meta.flags ?? 0, meta.recvNs ?? 0n, frame));
    } catch (e) {
      // Only a full journal gets here. Returning false makes the connector
      // treat the frame as lost: its books are marked stale and resynced, so
      // compute gets a fresh snapshot once the journal has room again.
      this.counters.refused++;
      const now = Date.now();
      if (now - this.lastRefusedLog > 5000) {
        this.lastRefusedLog = now;
        this.log.error({ err: e, refused: this.counters.refused }, 'raw frame could not be stored');
      }
      return false;
    }
    this.counters.frames++;
    this.counters.bytes += payload.byteLength;
    if (this.engine !== undefined) this.toBooks(meta, payload);
    return true;
  }

  private toBooks(meta: RecordMeta, payload: Uint8Array): void {
    const engine = this.engine as Engine;
    if (!engine.writer.write(meta, payload)) {
      // Run what is waiting and try once more; the frame is in Kafka either way.
      this.pump();
      if (!engine.writer.write(meta, payload)) this.counters.bookDrops++;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.pump();
      });
    }
  }

  private pump(): void {
    const engine = this.engine;
    if (engine === undefined || engine.closed) return;
    do {
      engine.poll();
      engine.reader.drain(this.onRecordBound);
    } while (ringStats(engine.input).usedBytes > 0);
  }

  private onEngineRecord(record: RecordView): void {
    // Only symbol records (to name the resync's instrument) and resync requests matter here.
    if (record.type === RECORD_TYPES.symbol) this.decoder.decode(record);
    else if (record.type === BOOK_RECORD_TYPES.resync) {
      this.counters.resyncRequests++;
      this.feeds.handleEngineRecord(record, this.decoder);
    }
  }

  private onStatus(e: FeedStatusEvent): void {
    const fields = { venue: e.venue, connection: e.connection, state: e.state, reason: e.reason, symbol: e.symbol };
    if (e.state === 'stale' || e.state === 'reconnecting') this.log.warn(fields, 'feed state');
    else this.log.info(fields, 'feed state');
    try {
      // Feed states go to <prefix>status as in `tickwire run`, so operators see one status stream.
      this.sink.publish('status', e);
    } catch {
      // Closed during shutdown: logged above.
    }
  }

  connectorCounters(): Partial<Record<VenueId, ConnectorCounters>> & { total: ConnectorCounters } {
    return this.feeds.counters();
  }

  /** Closes the sockets, then flushes the raw records (what Kafka does not take in time goes to the journal). */
  stop(): Promise<SinkCounters> {
    this.stopping ??= (async () => {
      await this.feeds.close();
      this.pump();
      const k = await this.sink.close({ timeoutMs: this.config.sink.flushTimeoutMs });
      this.engine?.close();
      return k;
    })();
    return this.stopping;
  }
}

/** Runs a capture from a `tickwire run` config until `until` or SIGINT/SIGTERM; returns the exit code. */
export async function runCapture(config: RunConfig, opts: CaptureOptions = {}): Promise<number> {
  const log = opts.log ?? pino({ level: config.observability.logLevel }, pino.destination(2));
  if (config.sink.output !== 'kafka') throw new Error('capture publishes to Kafka: sink.output must be kafka');
  let requested: (why: string) => void = () => undefined;
  const stopRequested = new Promise<string>((resolve) => (requested = resolve));
  const onSignal = (signal: NodeJS.Signals): void => requested(signal);
  if (opts.handleSignals ?? opts.until === undefined) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  let sim: Simulator | undefined;
  let capture: Capture | undefined;
  try {
    log.info({ config: redactConfig(config) }, 'capture starting');
    await checkBrokers(config, log);
    let effective = config;
    if (config.simulator.enabled) {
      sim = await startSimulator({
        venues: Object.keys(config.venues) as VenueId[],
        symbols: [...new Set(Object.values(config.venues).flatMap((v) => v?.symbols ?? []))],
        rate: config.simulator.rate,
        seed: config.simulator.seed,
        port: config.simulator.port,
      });
      const prefix = `http://127.0.0.1:${sim.port}`;
      const venues: RunConfig['venues'] = {};
      for (const [name, vc] of Object.entries(config.venues)) {
        if (vc) venues[name as VenueId] = { ...vc, ...simulatorVenueUrls(prefix, name as VenueId) };
      }
      effective = { ...config, venues };
      log.info({ port: sim.port }, 'simulator started on 127.0.0.1');
    }
    capture = new Capture(effective, log, opts.books ?? true);
    await capture.start();
    log.info({ venues: capture.feeds.venues(), prefix: config.sink.prefix }, 'capture started');
    opts.onStarted?.(capture);
    const why = await Promise.race([stopRequested, (opts.until ?? new Promise(() => undefined)).then(() => 'done')]);
    log.info({ why }, 'capture stopping: closing feeds, flushing Kafka');
    const k = await capture.stop();
    log.info(
      { ...capture.counters, delivered: k.delivered, spilled: k.spilled, journalUnread: k.journalUnread },
      'capture stopped',
    );
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await capture?.stop().catch((e: unknown) => log.error({ err: e }, 'error while stopping the capture'));
    await sim?.close();
  }
}
