// The compute side of capture + compute (docs/capture.md): a FrameSource that
// reads the raw topics `tickwire capture` writes and feeds their frames to the
// engine with their original receive time, venue and flags, so the engine
// sees what the capture saw.
//
// Three things make it restartable without changing the output:
//  - a deterministic order: frames of all partitions are merged by
//    (recvNs, topic, partition, offset), and a partition that may still hold
//    unfetched messages holds the merge back, so every run over the same data
//    feeds the engine the same sequence;
//  - commits after acks: every `commitIntervalMs` processing stops, the sink
//    is flushed, and only then are the processed offsets committed;
//  - replay on start: the engine's state (books, windows, EMAs) is rebuilt by
//    running it from the group's origin (kept in the commit metadata) with
//    publishing off until the committed offsets, then publishing resumes.
import { Kafka, logLevel, type Admin, type Consumer, type EachBatchPayload, type KafkaConfig } from 'kafkajs';
import type { Logger as PinoLogger } from 'pino';
import { decodeMessage } from '../consumer';
import { venueCode, type VenueId } from '../events';
import { BOOK_RECORD_TYPES } from '../engine/book-records';
import { FRAME_RECORD_TYPE, type RecordDecoder } from '../engine/records';
import type { RecordView } from '../engine/ring';
import type { RawFrame } from '../sink/schemas';
import type { SaslConfig, SourceConfig } from '../pipeline/config';
import type { FrameSource, FrameSourceContext, SourceLag } from '../pipeline/pipeline';
import { emptyCounters, type ConnectorCounters } from '../venues/types';
import { flagsOfRaw, rawTopic } from './raw';

export interface KafkaSourceOptions {
  source: SourceConfig;
  /** Venues whose raw topics are read (`<source.prefix>raw.<venue>`). */
  venues: VenueId[];
  clientId?: string;
  ssl?: KafkaConfig['ssl'];
  sasl?: SaslConfig;
  /** Consumer session timeout: how long a killed predecessor holds the partitions. Default 10 s (broker minimum 6 s). */
  sessionTimeoutMs?: number;
}

interface Buffered {
  offset: number;
  recvNs: bigint;
  flags: number;
  venue: number;
  /** null: a message that is not a raw frame; it only moves the position on. */
  frame: Buffer | null;
}

interface PartitionState {
  topic: string;
  /** Position of the topic in the configured list: the merge's tie-break after recvNs. */
  topicIndex: number;
  partition: number;
  venue: VenueId;
  /** The first offset this group ever processed: where a restart's replay starts. */
  origin: number;
  /** Outputs of offsets below this were published by an earlier run: replayed silently. */
  resumeAt: number;
  /** Last committed offset (the next to process after a restart). */
  committed: number;
  /** Next offset expected from the fetcher. */
  fetched: number;
  /** Next offset to hand to the engine. */
  processed: number;
  /** Latest known high watermark. */
  high: number;
  buf: Array<Buffered | undefined>;
  head: number;
  paused: boolean;
}

/** What a commit stores next to the offset, so a restart can find the group's origin. */
interface CommitMetadata {
  v: 1;
  origin: number;
}

function parseMetadata(text: string | null): CommitMetadata | undefined {
  if (text === null || text === '') return undefined;
  try {
    const o = JSON.parse(text) as Partial<CommitMetadata>;
    return o.v === 1 && typeof o.origin === 'number' && Number.isSafeInteger(o.origin) && o.origin >= 0
      ? { v: 1, origin: o.origin }
      : undefined;
  } catch {
    return undefined;
  }
}

const partKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** Running totals, exported as `tickwire_source_<name>_total`. */
export interface KafkaSourceCounters {
  /** Frames handed to the engine (replayed ones included). */
  frames: number;
  /** Frames run with publishing off because an earlier run had published their outputs. */
  replayed: number;
  /** Successful offset commits. */
  commits: number;
  /** Commit cycles that gave up because the outputs were not acknowledged in time (retried next cycle). */
  commitTimeouts: number;
  /** Commits Kafka refused (e.g. during a rebalance; retried next cycle). */
  commitErrors: number;
  /** Messages that were not raw frames or could not be decoded (skipped, logged). */
  skipped: number;
  /** Book resyncs the engine asked for; a log cannot serve them (the next snapshot in the stream does). */
  resyncRequests: number;
}

export class KafkaFrameSource implements FrameSource {
  readonly topics: string[];
  private readonly o: KafkaSourceOptions;
  private readonly ctx: FrameSourceContext;
  private readonly log: PinoLogger;
  private readonly kafka: Kafka;
  private admin: Admin | undefined;
  private consumer: Consumer | undefined;
  private readonly parts = new Map<string, PartitionState>();
  /** The same states in a fixed order (the merge scans them). */
  private partList: PartitionState[] = [];
  private buffered = 0;
  private readonly perVenue = new Map<VenueId, ConnectorCounters>();
  readonly stats: KafkaSourceCounters = {
    frames: 0,
    replayed: 0,
    commits: 0,
    commitTimeouts: 0,
    commitErrors: 0,
    skipped: 0,
    resyncRequests: 0,
  };
  private loop: Promise<void> | undefined;
  private lagTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private closed: Promise<void> | undefined;
  private wakeLoop: (() => void) | undefined;
  private lastCommitAt = 0;
  /** Every partition has a commit carrying its origin (the first cycle commits even without progress). */
  private originsPinned = false;
  private replayDoneLogged = false;
  private caughtUpLogged = false;
  private startedAt = 0;
  /** When the first frame went to the engine: the start of the catch-up measurement. */
  private firstFrameAt = 0;
  private lastWarn = new Map<string, number>();

  constructor(opts: KafkaSourceOptions, ctx: FrameSourceContext) {
    this.o = opts;
    this.ctx = ctx;
    this.log = ctx.log;
    this.topics = opts.venues.map((v) => rawTopic(opts.source.prefix, v));
    for (const v of opts.venues) this.perVenue.set(v, emptyCounters());
    this.kafka = new Kafka({
      clientId: opts.clientId ?? 'tickwire-compute',
      brokers: opts.source.brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      requestTimeout: 30_000,
      retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
      ...(opts.ssl !== undefined ? { ssl: opts.ssl } : {}),
      // SaslConfig is the same shape as kafkajs' per-mechanism union, checked by the config reader.
      ...(opts.sasl !== undefined ? { sasl: opts.sasl as NonNullable<KafkaConfig['sasl']> } : {}),
    });
  }

  venues(): VenueId[] {
    return [...this.perVenue.keys()];
  }

  counters(): Partial<Record<VenueId, ConnectorCounters>> & { total: ConnectorCounters } {
    const total = emptyCounters();
    const out: Partial<Record<VenueId, ConnectorCounters>> & { total: ConnectorCounters } = { total };
    const open = this.consumer !== undefined && !this.closing ? 1 : 0;
    for (const [venue, c] of this.perVenue) {
      const v = { ...c, connectionsOpen: open, connectionsSubscribed: open };
      out[venue] = v;
      for (const k of Object.keys(total) as Array<keyof ConnectorCounters>) total[k] += v[k];
    }
    return out;
  }

  sourceCounters(): Record<string, number> {
    return { ...this.stats };
  }

  lag(): SourceLag[] {
    return this.partList.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      messages: Math.max(0, p.high - p.processed),
    }));
  }

  /** Per partition: the offsets that matter for tests and operators. */
  positions(): Array<{
    topic: string;
    partition: number;
    origin: number;
    resumeAt: number;
    committed: number;
    processed: number;
    high: number;
  }> {
    return this.partList.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      origin: p.origin,
      resumeAt: p.resumeAt,
      committed: p.committed,
      processed: p.processed,
      high: p.high,
    }));
  }

  /** Every partition processed up to its known high watermark and committed there. */
  caughtUp(): boolean {
    return this.partList.length > 0 && this.partList.every((p) => p.processed >= p.high && p.committed >= p.high);
  }

  handleEngineRecord(record: RecordView, _decoder: RecordDecoder): boolean {
    if (record.type !== BOOK_RECORD_TYPES.resync) return false;
    // Nothing to ask: the capture process's own books request the snapshot,
    // which reaches this engine as a later frame of the same stream.
    this.stats.resyncRequests++;
    this.warnEvery(
      'resync',
      10_000,
      { venue: record.venue, symbolId: record.aux, total: this.stats.resyncRequests },
      'the engine asked for a book resync; reading a log, it waits for the next snapshot in the raw stream',
    );
    return true;
  }

  // ---------------------------------------------------------------- start

  async start(): Promise<void> {
    this.startedAt = Date.now();
    const admin = this.kafka.admin();
    this.admin = admin;
    await admin.connect();
    await this.patiently(() => this.ensureTopics(admin));
    await this.patiently(() => this.planPartitions(admin));

    const consumer = this.kafka.consumer({
      groupId: this.o.source.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: this.o.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 250,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const assigned = e.payload.memberAssignment;
      const missing = this.partList.filter((p) => !(assigned[p.topic] ?? []).includes(p.partition));
      if (missing.length > 0) {
        // The merge needs every partition: a second member would leave this one waiting forever.
        this.log.error(
          { groupId: this.o.source.groupId, missing: missing.map((p) => `${p.topic}/${p.partition}`) },
          'this process was not assigned every raw partition: run one compute process per group',
        );
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topics: this.topics, fromBeginning: this.o.source.from === 'earliest' });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.onBatch(payload),
    });
    // Applied by kafkajs at the first fetch after the assignment; with
    // autoCommit off a seek only moves the fetch position, never the commit.
    for (const p of this.partList) consumer.seek({ topic: p.topic, partition: p.partition, offset: String(p.fetched) });
    for (const venue of this.perVenue.keys()) {
      this.ctx.onStatus({
        type: 'feed_status',
        venue,
        connection: 0,
        state: 'subscribed',
        reason: 'kafka source',
        ts: Date.now() * 1000,
      });
    }
    this.lagTimer = setInterval(() => void this.refreshHighWatermarks(), 1000);
    this.lagTimer.unref();
    this.lastCommitAt = Date.now();
    this.loop = this.run();
  }

  /**
   * Retries what a broker that just started (or moved a coordinator) refuses
   * for a while, e.g. NOT_COORDINATOR while __consumer_offsets loads; gives up
   * after `ms`.
   */
  private async patiently<R>(fn: () => Promise<R>, ms = 30_000): Promise<R> {
    const deadline = Date.now() + ms;
    for (let delay = 100; ; delay = Math.min(2000, delay * 2)) {
      try {
        return await fn();
      } catch (e) {
        const retriable = (e as { retriable?: boolean }).retriable === true;
        if (!retriable || Date.now() + delay > deadline || this.closing) throw e;
        this.log.debug({ err: (e as Error).message, delay }, 'Kafka not ready yet; retrying');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** Raw topics that do not exist yet (compute started before capture) are created, so subscribing works. */
  private async ensureTopics(admin: Admin): Promise<void> {
    const existing = new Set(await admin.listTopics());
    const missing = this.topics.filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    this.log.info({ topics: missing }, 'creating raw topics that do not exist yet');
    await admin.createTopics({ topics: missing.map((topic) => ({ topic })), waitForLeaders: true });
  }

  /** Where each partition starts, resumes publishing and came from (docs/capture.md "Restart"). */
  private async planPartitions(admin: Admin): Promise<void> {
    const s = this.o.source;
    const committed = await admin.fetchOffsets({ groupId: s.groupId, topics: this.topics });
    const byKey = new Map<string, { offset: number; metadata: string | null }>();
    for (const t of committed) {
      for (const p of t.partitions)
        byKey.set(partKey(t.topic, p.partition), { offset: Number(p.offset), metadata: p.metadata });
    }
    const plan: Array<Record<string, unknown>> = [];
    for (const [topicIndex, topic] of this.topics.entries()) {
      const venue = this.o.venues[topicIndex] as VenueId;
      for (const w of await admin.fetchTopicOffsets(topic)) {
        const low = Number(w.low);
        const high = Number(w.high);
        const c = byKey.get(partKey(topic, w.partition));
        const hasCommit = c !== undefined && c.offset >= 0;
        let origin: number;
        let resumeAt: number;
        if (!hasCommit) {
          origin = s.from === 'earliest' ? low : high;
          resumeAt = origin;
        } else {
          const meta = parseMetadata(c.metadata);
          if (meta === undefined) {
            this.log.warn(
              { topic, partition: w.partition },
              'committed offset without tickwire metadata: replaying from the start of the log (bounded by warmupMessages)',
            );
          }
          origin = meta?.origin ?? low;
          resumeAt = c.offset;
        }
        let start = Math.max(origin, low);
        if (s.warmupMessages > 0) start = Math.max(start, resumeAt - s.warmupMessages);
        start = Math.min(start, resumeAt);
        if (start > origin) {
          // Retention or the warm-up bound cut the history: books wait for their
          // next snapshot and windows refill, so the first outputs may differ.
          this.log.warn(
            { topic, partition: w.partition, origin, start, resumeAt },
            'replay starts after the group origin: signals right after the restart are approximate',
          );
        }
        const st: PartitionState = {
          topic,
          topicIndex,
          partition: w.partition,
          venue,
          origin,
          resumeAt,
          committed: hasCommit ? c.offset : -1,
          fetched: start,
          processed: start,
          high,
          buf: [],
          head: 0,
          paused: false,
        };
        this.parts.set(partKey(topic, w.partition), st);
        plan.push({ topic, partition: w.partition, origin, start, resumeAt, high });
      }
    }
    this.partList = [...this.parts.values()];
    this.originsPinned = this.partList.every((p) => p.committed >= 0);
    const replay = this.partList.reduce((n, p) => n + Math.max(0, p.resumeAt - p.fetched), 0);
    this.log.info({ groupId: s.groupId, partitions: plan, replay }, 'kafka source planned');
  }

  // ---------------------------------------------------------------- fetch side

  private async onBatch({ batch, resolveOffset, heartbeat }: EachBatchPayload): Promise<void> {
    const st = this.parts.get(partKey(batch.topic, batch.partition));
    if (st === undefined || this.closing) return;
    st.high = Math.max(st.high, Number(batch.highWatermark));
    for (const m of batch.messages) {
      const offset = Number(m.offset);
      // A rebalance or our own seek can deliver messages again: the engine must see each once.
      if (offset < st.fetched) continue;
      if (offset > st.fetched) {
        this.warnEvery(
          `gap:${st.topic}`,
          10_000,
          { topic: st.topic, partition: st.partition, expected: st.fetched, got: offset },
          'raw partition skips offsets (retention or compaction)',
        );
      }
      st.fetched = offset + 1;
      let raw: RawFrame;
      try {
        const msg = decodeMessage(batch.topic, batch.partition, m);
        if (msg.schema !== 'raw') throw new Error(`schema ${msg.schema}, not raw`);
        raw = msg.value as RawFrame;
      } catch (e) {
        this.stats.skipped++;
        this.warnEvery('decode', 10_000, { topic: st.topic, offset, err: (e as Error).message }, 'raw record skipped');
        // Kept as a placeholder so the processed position (and the commit) moves past it in order.
        st.buf.push({ offset, recvNs: 0n, flags: 0, venue: 0, frame: null });
        this.buffered++;
        continue;
      }
      st.buf.push({
        offset,
        recvNs: raw.recvNs,
        flags: flagsOfRaw(raw),
        venue: venueCode(raw.venue),
        frame: raw.frame,
      });
      this.buffered++;
    }
    resolveOffset(batch.lastOffset());
    this.applyBackpressure(st);
    this.wake();
    await heartbeat();
  }

  /** Pauses a partition's fetching while it holds more than its share of the buffer; run() resumes it. */
  private applyBackpressure(st: PartitionState): void {
    const share = Math.max(100, Math.floor(this.o.source.maxBufferedMessages / Math.max(1, this.partList.length)));
    const held = st.buf.length - st.head;
    if (!st.paused && held >= share) {
      st.paused = true;
      this.consumer?.pause([{ topic: st.topic, partitions: [st.partition] }]);
    } else if (st.paused && held < share / 2) {
      st.paused = false;
      this.consumer?.resume([{ topic: st.topic, partitions: [st.partition] }]);
    }
  }

  private async refreshHighWatermarks(): Promise<void> {
    const admin = this.admin;
    if (admin === undefined || this.closing) return;
    try {
      for (const topic of this.topics) {
        for (const w of await admin.fetchTopicOffsets(topic)) {
          const st = this.parts.get(partKey(topic, w.partition));
          if (st !== undefined) st.high = Math.max(st.high, Number(w.high));
        }
      }
      this.wake();
    } catch (e) {
      this.warnEvery('hw', 30_000, { err: (e as Error).message }, "cannot read the raw topics' high watermarks");
    }
  }

  // ---------------------------------------------------------------- engine side

  private wake(): void {
    const w = this.wakeLoop;
    this.wakeLoop = undefined;
    w?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wakeLoop = undefined;
        resolve();
      }, ms);
      this.wakeLoop = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /**
   * The partition whose head comes next in (recvNs, topic, partition, offset)
   * order, or undefined while a partition that may hold earlier frames has
   * nothing buffered yet. A partition counts as possibly holding more when
   * its fetch position is below its known high watermark.
   */
  private next(): PartitionState | undefined {
    let best: PartitionState | undefined;
    let bestHead: Buffered | undefined;
    for (const p of this.partList) {
      const head = p.buf[p.head];
      if (head === undefined) {
        if (p.fetched < p.high) return undefined;
        continue;
      }
      if (
        bestHead === undefined ||
        best === undefined ||
        head.recvNs < bestHead.recvNs ||
        (head.recvNs === bestHead.recvNs &&
          (p.topicIndex < best.topicIndex || (p.topicIndex === best.topicIndex && p.partition < best.partition)))
      ) {
        best = p;
        bestHead = head;
      }
    }
    return best;
  }

  /**
   * Hands up to `budget` frames to the engine in merge order. Frames are run
   * through the engine in runs of equal publishing state, so the outputs of a
   * replayed frame are never published and those of a new frame always are.
   */
  private step(budget: number): number {
    let n = 0;
    let publishing: boolean | undefined;
    const flushRun = (): void => {
      if (publishing === undefined) return;
      this.ctx.setPublishing(publishing);
      this.ctx.process();
    };
    try {
      let lastUs = -1n;
      for (; ; n++) {
        const p = this.next();
        if (p === undefined) break;
        const m = p.buf[p.head] as Buffered;
        // A step (and so a commit point) never ends between two frames of the
        // same microsecond: outputs are told apart by their emitTs (µs) and
        // their ordinal within it (src/capture/dedupe.ts), so a restart must
        // begin on a microsecond boundary for the ordinals to line up.
        const us = m.recvNs / 1000n;
        if (n >= budget && us !== lastUs) break;
        if (m.frame !== null) lastUs = us;
        p.buf[p.head++] = undefined; // let the frame's memory go
        if (p.head > 4096 && p.head * 2 > p.buf.length) {
          p.buf = p.buf.slice(p.head);
          p.head = 0;
        }
        this.buffered--;
        if (this.firstFrameAt === 0) this.firstFrameAt = Date.now();
        if (m.frame === null) {
          p.processed = m.offset + 1;
          continue;
        }
        const publish = m.offset >= p.resumeAt;
        if (publishing !== undefined && publishing !== publish) flushRun();
        publishing = publish;
        this.write(m, m.frame, () => flushRun());
        p.processed = m.offset + 1;
        this.stats.frames++;
        if (!publish) this.stats.replayed++;
        const c = this.perVenue.get(p.venue);
        if (c !== undefined) {
          c.frames++;
          c.bytes += m.frame.length;
        }
        if (p.paused) this.applyBackpressure(p);
      }
      flushRun();
    } finally {
      this.ctx.setPublishing(true);
    }
    return n;
  }

  private write(m: Buffered, frame: Buffer, makeRoom: () => void): void {
    const meta = { type: FRAME_RECORD_TYPE, venue: m.venue, flags: m.flags, recvNs: m.recvNs };
    let err: string | undefined;
    try {
      if (this.ctx.sink.write(meta, frame)) return;
      // The input ring is full: run what is in it (same publishing state) and try again.
      makeRoom();
      if (this.ctx.sink.write(meta, frame)) return;
    } catch (e) {
      // A record above the ring's limit (RingError): the live path would have refused it too.
      err = (e as Error).message;
    }
    this.stats.skipped++;
    this.warnEvery('write', 10_000, { offset: m.offset, bytes: frame.length, err }, 'frame refused by the input ring');
  }

  private async run(): Promise<void> {
    const interval = this.o.source.commitIntervalMs;
    while (!this.closing) {
      let n = 0;
      try {
        n = this.step(2000);
      } catch (e) {
        this.log.error({ err: e }, 'kafka source: frames could not be handed to the engine');
      }
      this.noteProgress();
      if (Date.now() - this.lastCommitAt >= interval) await this.commitCycle();
      // Full batches yield one macrotask so the producer and the fetcher get their turns.
      if (n >= 2000) await new Promise<void>((r) => setImmediate(r));
      else await this.sleep(Math.min(50, interval));
    }
  }

  /** Logs the two milestones of a start: the silent replay done, and the backlog caught up (with its speed). */
  private noteProgress(): void {
    const seconds = (): number => Math.max(0.001, (Date.now() - this.firstFrameAt) / 1000);
    if (!this.replayDoneLogged && this.partList.every((p) => p.processed >= p.resumeAt)) {
      this.replayDoneLogged = true;
      if (this.stats.replayed > 0) {
        this.log.info(
          {
            replayed: this.stats.replayed,
            seconds: seconds(),
            framesPerSecond: Math.round(this.stats.replayed / seconds()),
          },
          'replay done: publishing from the committed offsets on',
        );
      }
    }
    if (!this.caughtUpLogged && this.stats.frames > 0 && this.partList.every((p) => p.processed >= p.high)) {
      this.caughtUpLogged = true;
      this.log.info(
        {
          frames: this.stats.frames,
          replayed: this.stats.replayed,
          seconds: seconds(),
          framesPerSecond: Math.round(this.stats.frames / seconds()),
          sinceStartMs: Date.now() - this.startedAt,
        },
        'caught up with the raw topics',
      );
    }
  }

  /**
   * Flush the sink, then commit what was processed. Processing waits for it
   * (the fetcher does not): committing only acknowledged outputs is what
   * makes a crash lose nothing.
   */
  private async commitCycle(): Promise<void> {
    this.lastCommitAt = Date.now();
    const consumer = this.consumer;
    if (consumer === undefined) return;
    const due = this.partList.filter((p) => Math.max(p.processed, p.resumeAt) > p.committed);
    if (due.length === 0 && this.originsPinned) return;
    const targets = (this.originsPinned ? due : this.partList).map((p) => ({
      p,
      offset: Math.max(p.processed, p.resumeAt, p.committed),
    }));
    const acked = await this.ctx.flush(this.o.source.commitTimeoutMs);
    if (!acked) {
      this.stats.commitTimeouts++;
      this.warnEvery(
        'flush',
        10_000,
        { timeoutMs: this.o.source.commitTimeoutMs },
        'outputs not acknowledged in time: offsets not committed this cycle',
      );
      return;
    }
    try {
      await consumer.commitOffsets(
        targets.map(({ p, offset }) => ({
          topic: p.topic,
          partition: p.partition,
          offset: String(offset),
          metadata: JSON.stringify({ v: 1, origin: p.origin } satisfies CommitMetadata),
        })),
      );
      for (const { p, offset } of targets) p.committed = offset;
      this.originsPinned = true;
      this.stats.commits++;
      this.log.debug(
        { offsets: targets.map(({ p, offset }) => `${p.topic}/${p.partition}@${offset}`) },
        'offsets committed',
      );
    } catch (e) {
      this.stats.commitErrors++;
      this.warnEvery('commit', 10_000, { err: (e as Error).message }, 'offset commit failed; retried next cycle');
    } finally {
      this.lastCommitAt = Date.now();
    }
  }

  private warnEvery(kind: string, ms: number, fields: object, msg: string): void {
    const now = Date.now();
    if (now - (this.lastWarn.get(kind) ?? 0) < ms) return;
    this.lastWarn.set(kind, now);
    this.log.warn(fields, msg);
  }

  // ---------------------------------------------------------------- stop

  /** Stops handing frames over, commits what was processed and acknowledged, disconnects. */
  close(): Promise<void> {
    this.closed ??= this.doClose();
    return this.closed;
  }

  private async doClose(): Promise<void> {
    this.closing = true;
    if (this.lagTimer !== undefined) clearInterval(this.lagTimer);
    this.wake();
    await this.loop?.catch(() => undefined);
    if (this.consumer !== undefined) {
      // The last cycle: whatever was processed and is acknowledged in time is committed.
      this.lastCommitAt = 0;
      await this.commitCycle().catch(() => undefined);
      await this.consumer.stop().catch(() => undefined);
      await this.consumer.disconnect().catch(() => undefined);
    }
    await this.admin?.disconnect().catch(() => undefined);
    for (const venue of this.perVenue.keys()) {
      this.ctx.onStatus({
        type: 'feed_status',
        venue,
        connection: 0,
        state: 'closed',
        reason: 'kafka source closed',
        ts: Date.now() * 1000,
      });
    }
    this.log.info({ ...this.stats, positions: this.positions() }, 'kafka source closed');
  }
}

/** The Pipeline's `source` factory for a `source: { type: kafka }` config. */
export function kafkaSource(opts: Omit<KafkaSourceOptions, 'venues'>): (ctx: FrameSourceContext) => KafkaFrameSource {
  return (ctx) => new KafkaFrameSource({ ...opts, venues: Object.keys(ctx.venues) as VenueId[] }, ctx);
}
