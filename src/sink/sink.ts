// The Kafka sink: encodes records with the schema registry, batches them by
// size and linger, and delivers them with an idempotent kafkajs producer.
// Backpressure: never-drop records go to a bounded memory buffer and then to
// the spill journal on disk, replayed in order; conflatable records keep only
// the latest value per key while waiting; droppable records are dropped when
// the memory buffer is full. Every drop, conflation and spill is counted.
// docs/sink.md.
import { resolve } from 'node:path';
import {
  CompressionTypes,
  Kafka,
  Partitioners,
  type KafkaConfig,
  logLevel,
  type Admin,
  type Producer,
  type TopicMessages,
} from 'kafkajs';
import type { CanonicalEvent } from '../events';
import { registerCompressionCodecs } from './codecs';
import { Journal, JournalFullError, type FsyncPolicy } from './journal';
import { deserializeRecord, serializeRecord, type OutRecord } from './record';
import {
  encodeValue,
  getSchema,
  versionString,
  type DeliveryPolicy,
  type Encoding,
  type KnownSchemaName,
  type Schema,
  type SchemaTypes,
} from './schemas';
import { DEFAULT_PREFIX, ensureTopics, errorText, startupTopics } from './topics';

export type Compression = 'none' | 'gzip' | 'lz4' | 'zstd';

export interface SinkLogger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface SinkOptions {
  /** Broker list. Default: $KAFKA_BROKERS, else 127.0.0.1:9092. */
  brokers?: string[] | string;
  clientId?: string;
  /** Topic prefix. Default `md.`. */
  prefix?: string;
  /** Value encoding. Default `json`. */
  encoding?: Encoding;
  /** Publish canonical events to `<prefix>ticks`. Default true; when false tick records are counted as `disabled`. */
  ticks?: boolean;
  topics?: {
    /** Create absent topics at start (and again after a topic disappears). Default true. */
    create?: boolean;
    partitions?: number;
    replicationFactor?: number;
  };
  batch?: {
    /** Records per produce request. Default 1000. */
    maxRecords?: number;
    /** Bytes (values + keys + headers) per produce request; keep it under the broker's message.max.bytes (1 MB by default). Default 512 KiB. */
    maxBytes?: number;
    /** How long a not-full batch waits for more records. Default 5 ms. */
    lingerMs?: number;
  };
  /** Default `none`. `lz4` and `zstd` use the bundled codecs (src/sink/codecs.ts). */
  compression?: Compression;
  /** Default `all`. With idempotence on, only `all` is allowed. */
  acks?: 'all' | 0 | 1;
  /** Default true. */
  idempotent?: boolean;
  /** The memory buffer for never-drop and droppable records. */
  memory?: { maxRecords?: number; maxBytes?: number };
  journal?: {
    /** Default `.tickwire/journal`. */
    dir?: string;
    maxBytes?: number;
    segmentBytes?: number;
    fsync?: FsyncPolicy;
  };
  /** Bound on the number of keys waiting in the conflation map. Default 100 000. */
  conflation?: { maxKeys?: number };
  /** Per-schema overrides of the delivery policy, e.g. `{ 'tick.bbo': 'conflate' }`. */
  policies?: Record<string, DeliveryPolicy>;
  /** Backoff between failed attempts. Default 200 ms doubling to 5 s. */
  retry?: { initialMs?: number; maxMs?: number };
  requestTimeoutMs?: number;
  connectionTimeoutMs?: number;
  /** TLS to the brokers (true, or kafkajs/tls connection options). */
  ssl?: KafkaConfig['ssl'];
  /** SASL credentials; never logged. */
  sasl?: KafkaConfig['sasl'];
  logger?: SinkLogger;
  /**
   * Called for each delivered record (for histograms) with its handoff → ack latency in µs
   * (undefined for a record that went through the journal: its handoff time is not kept there)
   * and its `recv-ns` header (receive time, ns since the epoch, as text) when it has one.
   */
  onAck?: (us: number | undefined, recvNs: string | undefined) => void;
}

/** Counters, exposed as a plain object for metrics. */
export interface SinkCounters {
  /** Records accepted by publish(). */
  published: number;
  /** Records acknowledged by Kafka. */
  delivered: number;
  deliveredBytes: number;
  batches: number;
  /** Failed produce requests (each is retried). */
  sendFailures: number;
  /** Failed connection attempts. */
  connectFailures: number;
  /** Producer re-created after errors. */
  producerResets: number;
  /** Conflatable records replaced by a newer value for the same key before they were sent. */
  conflated: number;
  /** Droppable records refused because the memory buffer was full (or the conflation map). */
  dropped: number;
  /** Tick records published while ticks are disabled. */
  disabled: number;
  /** Records written to the spill journal. */
  spilled: number;
  spilledBytes: number;
  /** Records read back from the journal (to be sent). */
  replayed: number;
  /** Records larger than the broker accepts (MESSAGE_TOO_LARGE even alone): dropped, logged. */
  tooLarge: number;
  /** publish() calls refused because the journal was full. */
  journalFullErrors: number;
  /** Records left in memory at close and moved to the journal. */
  spilledAtClose: number;
  topicsCreated: number;
  /** Gauges. */
  memoryRecords: number;
  memoryBytes: number;
  conflationKeys: number;
  journalUnread: number;
  journalDiskBytes: number;
  inFlight: number;
  connected: number;
}

export interface LatencySummary {
  count: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
}

export interface PublishMeta {
  /** Receive time, ns since epoch; default from the value (e.g. recvTs × 1000). */
  recvNs?: bigint;
  /** Emit time, ns since epoch; default now. */
  emitNs?: bigint;
}

export class SinkClosedError extends Error {
  constructor() {
    super('the sink is closed');
    this.name = 'SinkClosedError';
  }
}

let wallBase = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
let wallAnchoredAt = process.hrtime.bigint();
/** Wall-clock ns since the epoch with hrtime resolution, re-anchored to Date.now() every second. */
export function wallNs(): bigint {
  const h = process.hrtime.bigint();
  if (h - wallAnchoredAt > 1_000_000_000n) {
    wallBase = BigInt(Date.now()) * 1_000_000n - h;
    wallAnchoredAt = h;
  }
  return wallBase + h;
}

export function defaultBrokers(): string[] {
  const env = process.env['KAFKA_BROKERS'];
  return parseBrokers(env !== undefined && env.trim() !== '' ? env : '127.0.0.1:9092');
}

export function parseBrokers(list: string | string[]): string[] {
  const items = (Array.isArray(list) ? list : [list]).flatMap((s) => s.split(','));
  return items.map((s) => s.trim()).filter((s) => s !== '');
}

const stderrLogger: SinkLogger = {
  info: (m) => process.stderr.write(`tickwire sink: ${m}\n`),
  warn: (m) => process.stderr.write(`tickwire sink: WARN ${m}\n`),
  error: (m) => process.stderr.write(`tickwire sink: ERROR ${m}\n`),
};

/** Maps the compression option to kafkajs; lz4 and zstd use the codecs of ./codecs (registered here). */
export function resolveCompression(c: Compression): CompressionTypes {
  switch (c) {
    case 'none':
      return CompressionTypes.None;
    case 'gzip':
      return CompressionTypes.GZIP;
    case 'lz4':
      registerCompressionCodecs();
      return CompressionTypes.LZ4;
    case 'zstd':
      registerCompressionCodecs();
      return CompressionTypes.ZSTD;
    default:
      throw new Error(`unknown compression '${String(c)}' (none, gzip, lz4, zstd)`);
  }
}

/**
 * Conflation map key: topic + key, plus the schema's slot when values of one
 * key do not replace each other (an EMA per half-life).
 */
function conflationKey(topic: string, key: string, slot: number | undefined): string {
  return slot === undefined ? `${topic}\0${key}` : `${topic}\0${key}\0${slot}`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const RESET_ERRORS =
  /OUT_OF_ORDER_SEQUENCE_NUMBER|INVALID_PRODUCER_EPOCH|UNKNOWN_PRODUCER_ID|INVALID_PRODUCER_ID_MAPPING|producer is disconnected/i;

const LATENCY_SAMPLES = 65536;

export class KafkaSink {
  readonly brokers: string[];
  readonly prefix: string;
  readonly encoding: Encoding;
  private readonly o: {
    clientId: string;
    ticks: boolean;
    createTopics: boolean;
    partitions: number;
    replicationFactor: number;
    maxRecords: number;
    maxBatchBytes: number;
    lingerMs: number;
    compression: CompressionTypes;
    acks: number;
    idempotent: boolean;
    memMaxRecords: number;
    memMaxBytes: number;
    maxConflationKeys: number;
    retryInitialMs: number;
    retryMaxMs: number;
    requestTimeoutMs: number;
    connectionTimeoutMs: number;
  };
  private readonly policies: Record<string, DeliveryPolicy>;
  private readonly log: SinkLogger;
  private readonly onAck: SinkOptions['onAck'];
  readonly journal: Journal;

  private readonly kafka: Kafka;
  private producer: Producer | undefined;
  private admin: Admin | undefined;
  private connected = false;
  private readonly ensured = new Set<string>();

  // memory FIFO (never-drop + drop policies): q[qHead..]
  private q: OutRecord[] = [];
  private qHead = 0;
  private memBytes = 0;
  // conflation: latest per topic\0key
  private conflate = new Map<string, OutRecord>();

  private accepting = true;
  private stopping = false;
  private pump: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private sleeper: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  private spilling = false;
  private downSince = 0;
  private lastDownLog = 0;
  private failures = 0;
  /** Records per batch; halved when the broker says a batch is too large, grows back on success. */
  private batchLimit = 0;

  private readonly c: SinkCounters = {
    published: 0,
    delivered: 0,
    deliveredBytes: 0,
    batches: 0,
    sendFailures: 0,
    connectFailures: 0,
    producerResets: 0,
    conflated: 0,
    dropped: 0,
    disabled: 0,
    spilled: 0,
    spilledBytes: 0,
    replayed: 0,
    tooLarge: 0,
    journalFullErrors: 0,
    spilledAtClose: 0,
    topicsCreated: 0,
    memoryRecords: 0,
    memoryBytes: 0,
    conflationKeys: 0,
    journalUnread: 0,
    journalDiskBytes: 0,
    inFlight: 0,
    connected: 0,
  };
  private readonly lat = new Float64Array(LATENCY_SAMPLES);
  private latCount = 0;
  private latMax = 0;

  constructor(opts: SinkOptions = {}) {
    this.brokers = opts.brokers !== undefined ? parseBrokers(opts.brokers) : defaultBrokers();
    if (this.brokers.length === 0) throw new Error('no Kafka brokers given');
    this.prefix = opts.prefix ?? DEFAULT_PREFIX;
    this.encoding = opts.encoding ?? 'json';
    if (this.encoding !== 'json' && this.encoding !== 'binary') {
      throw new Error(`unknown encoding '${String(this.encoding)}' (json, binary)`);
    }
    const idempotent = opts.idempotent ?? true;
    const acksOpt = opts.acks ?? 'all';
    const acks = acksOpt === 'all' ? -1 : acksOpt;
    if (idempotent && acks !== -1)
      throw new Error(`an idempotent producer needs acks=all (got acks=${String(acksOpt)})`);
    this.o = {
      clientId: opts.clientId ?? 'tickwire-sink',
      ticks: opts.ticks ?? true,
      createTopics: opts.topics?.create ?? true,
      partitions: opts.topics?.partitions ?? 1,
      replicationFactor: opts.topics?.replicationFactor ?? 1,
      maxRecords: Math.max(1, opts.batch?.maxRecords ?? 1000),
      maxBatchBytes: Math.max(1024, opts.batch?.maxBytes ?? 512 * 1024),
      lingerMs: Math.max(0, opts.batch?.lingerMs ?? 5),
      compression: resolveCompression(opts.compression ?? 'none'),
      acks,
      idempotent,
      memMaxRecords: Math.max(1, opts.memory?.maxRecords ?? 100_000),
      memMaxBytes: Math.max(1024, opts.memory?.maxBytes ?? 64 * 1024 * 1024),
      maxConflationKeys: Math.max(1, opts.conflation?.maxKeys ?? 100_000),
      retryInitialMs: Math.max(10, opts.retry?.initialMs ?? 200),
      retryMaxMs: Math.max(10, opts.retry?.maxMs ?? 5000),
      requestTimeoutMs: opts.requestTimeoutMs ?? 10_000,
      connectionTimeoutMs: opts.connectionTimeoutMs ?? 1000,
    };
    this.batchLimit = this.o.maxRecords;
    this.policies = { ...(opts.policies ?? {}) };
    this.log = opts.logger ?? stderrLogger;
    this.journal = new Journal({
      dir: resolve(opts.journal?.dir ?? '.tickwire/journal'),
      ...(opts.journal?.maxBytes !== undefined ? { maxBytes: opts.journal.maxBytes } : {}),
      ...(opts.journal?.segmentBytes !== undefined ? { segmentBytes: opts.journal.segmentBytes } : {}),
      ...(opts.journal?.fsync !== undefined ? { fsync: opts.journal.fsync } : {}),
      log: (line) => this.log.warn(line),
    });
    this.kafka = new Kafka({
      clientId: this.o.clientId,
      brokers: this.brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: this.o.connectionTimeoutMs,
      requestTimeout: this.o.requestTimeoutMs,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
      ...(opts.ssl !== undefined ? { ssl: opts.ssl } : {}),
      ...(opts.sasl !== undefined ? { sasl: opts.sasl } : {}),
    });
    this.onAck = opts.onAck;
  }

  /** Starts delivering in the background; does not wait for Kafka (it may be down). */
  start(): this {
    if (this.pump === undefined) {
      const unread = this.journal.stats().unreadRecords;
      if (unread > 0)
        this.log.info(`${unread} undelivered records in the journal from a previous run will be replayed first`);
      this.pump = this.run().catch((e: unknown) => {
        this.log.error(`delivery loop stopped: ${errorText(e)}`);
      });
    }
    return this;
  }

  policyOf(schema: Schema<unknown>): DeliveryPolicy {
    return this.policies[schema.name] ?? schema.policy;
  }

  // ---------------------------------------------------------------- publish

  /**
   * Hands one value over for delivery. Returns false when the record was not
   * kept (a droppable record with the buffer full, or ticks disabled). Throws
   * JournalFullError when a never-drop record can be stored nowhere.
   */
  publish<N extends KnownSchemaName>(schemaName: N, value: SchemaTypes[N], meta?: PublishMeta): boolean;
  publish(schemaName: string, value: unknown, meta?: PublishMeta): boolean;
  publish(schemaName: string, value: unknown, meta: PublishMeta = {}): boolean {
    if (!this.accepting) throw new SinkClosedError();
    const schema = getSchema(schemaName);
    if (schema.kind === 'ticks' && !this.o.ticks) {
      this.c.disabled++;
      return false;
    }
    const emitNs = meta.emitNs ?? wallNs();
    const recvNs = meta.recvNs ?? schema.recvNs(value) ?? emitNs;
    const payload = encodeValue(schema, value, this.encoding);
    const topic = schema.topic(this.prefix, value);
    const key = schema.key(value);
    const rec: OutRecord = {
      topic,
      key,
      value: payload,
      headers: {
        schema: schema.name,
        'schema-version': versionString(schema.version),
        encoding: this.encoding,
        'recv-ns': recvNs.toString(),
        'emit-ns': emitNs.toString(),
      },
      schema: schema.name,
      policy: this.policyOf(schema),
      timestampMs: Number(emitNs / 1_000_000n),
      size: payload.length + topic.length + key.length + 160,
      handoff: process.hrtime.bigint(),
    };
    const ok = this.enqueue(
      rec,
      rec.policy === 'conflate' ? conflationKey(topic, key, schema.conflationSlot?.(value)) : '',
    );
    if (ok) this.c.published++;
    return ok;
  }

  /** Publishes a canonical event: trade/bbo/book/derivative → tick.*, status/reject → status. */
  publishEvent(ev: CanonicalEvent, meta?: PublishMeta): boolean {
    switch (ev.type) {
      case 'trade':
        return this.publish('tick.trade', ev, meta);
      case 'bbo':
        return this.publish('tick.bbo', ev, meta);
      case 'book':
        return this.publish('tick.book', ev, meta);
      case 'derivative':
        return this.publish('tick.derivative', ev, meta);
      default:
        return this.publish('status', ev, meta);
    }
  }

  private memFull(size: number): boolean {
    return this.q.length - this.qHead >= this.o.memMaxRecords || this.memBytes + size > this.o.memMaxBytes;
  }

  /** `k`: the conflation map key (used by the conflate policy only). */
  private enqueue(rec: OutRecord, k: string): boolean {
    switch (rec.policy) {
      case 'conflate': {
        const had = this.conflate.get(k);
        if (had !== undefined) {
          this.conflate.delete(k); // re-insert at the end: latest wins, FIFO between keys
          this.c.conflated++;
        } else if (this.conflate.size >= this.o.maxConflationKeys) {
          this.c.dropped++;
          return false;
        }
        this.conflate.set(k, rec);
        break;
      }
      case 'drop':
        if (this.memFull(rec.size)) {
          this.c.dropped++;
          return false;
        }
        this.pushMem(rec);
        break;
      default:
        // never-drop: memory while it has room and nothing is waiting in the journal, else the journal.
        if (this.journal.hasUnread() || this.memFull(rec.size)) {
          const bytes = serializeRecord(rec);
          try {
            this.journal.append(bytes);
          } catch (e) {
            if (e instanceof JournalFullError) {
              this.c.journalFullErrors++;
              this.log.error(e.message);
            }
            throw e;
          }
          this.c.spilled++;
          this.c.spilledBytes += bytes.length;
          if (!this.spilling) {
            this.spilling = true;
            this.log.warn(
              `memory buffer full (${this.q.length - this.qHead} records, ${this.memBytes} bytes): ` +
                `spilling never-drop records to the journal ${this.journal.dir}`,
            );
          }
        } else {
          this.pushMem(rec);
        }
    }
    this.poke();
    return true;
  }

  private pushMem(rec: OutRecord): void {
    this.q.push(rec);
    this.memBytes += rec.size;
  }

  private poke(): void {
    const w = this.wakeUp;
    if (w !== undefined) {
      this.wakeUp = undefined;
      w();
    }
  }

  // ---------------------------------------------------------------- delivery loop

  private pendingCount(): number {
    return this.q.length - this.qHead + this.conflate.size + this.journal.stats().unreadRecords;
  }

  /** Waits until woken by publish() or ms pass (or stop). */
  private idle(ms: number): Promise<void> {
    return new Promise((res) => {
      const timer = setTimeout(() => {
        this.wakeUp = undefined;
        this.sleeper = undefined;
        res();
      }, ms);
      this.wakeUp = (): void => {
        clearTimeout(timer);
        this.sleeper = undefined;
        res();
      };
      this.sleeper = { timer, resolve: res };
    });
  }

  /** A backoff sleep that stop() can cut short. */
  private backoff(ms: number): Promise<void> {
    return new Promise((res) => {
      const timer = setTimeout(() => {
        this.sleeper = undefined;
        res();
      }, ms);
      this.sleeper = { timer, resolve: res };
    });
  }

  private interrupt(): void {
    const s = this.sleeper;
    if (s !== undefined) {
      clearTimeout(s.timer);
      this.sleeper = undefined;
      s.resolve();
    }
    this.poke();
  }

  private backoffMs(): number {
    const base = Math.min(this.o.retryMaxMs, this.o.retryInitialMs * 2 ** Math.min(16, this.failures - 1));
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      if (!this.connected) {
        await this.connect();
        continue;
      }
      this.refill();
      if (this.q.length - this.qHead === 0 && this.conflate.size === 0) {
        await this.idle(100);
        continue;
      }
      // Linger: a batch that is not full waits for more records, at most lingerMs after its oldest record.
      if (this.o.lingerMs > 0 && this.q.length - this.qHead + this.conflate.size < this.o.maxRecords) {
        const oldest = this.oldestHandoff();
        const waitedMs = oldest === 0n ? this.o.lingerMs : Number(process.hrtime.bigint() - oldest) / 1e6;
        if (waitedMs < this.o.lingerMs) {
          await this.backoff(Math.max(1, Math.ceil(this.o.lingerMs - waitedMs)));
          continue;
        }
      }
      await this.sendOne();
    }
  }

  private oldestHandoff(): bigint {
    // Records from the journal (handoff 0) are old: no linger for them.
    const head = this.q[this.qHead];
    if (head !== undefined) return head.handoff;
    const first = this.conflate.values().next();
    return first.done === true ? 0n : first.value.handoff;
  }

  /** Moves journaled records back into memory while there is room. */
  private refill(): void {
    if (!this.journal.hasUnread()) {
      if (this.spilling) {
        this.spilling = false;
        this.log.info('journal drained: back to the memory buffer');
      }
      return;
    }
    const inMem = this.q.length - this.qHead;
    const room = Math.min(this.o.memMaxRecords - inMem, this.o.maxRecords * 4);
    if (room <= 0 || this.memBytes >= this.o.memMaxBytes) return;
    const entries = this.journal.read(room, this.o.memMaxBytes - this.memBytes);
    for (const e of entries) {
      try {
        this.pushMem(deserializeRecord(e.payload, e.pos));
      } catch (err) {
        this.log.error(`journal record at ${e.pos.seg}:${e.pos.off} cannot be decoded (${errorText(err)}); skipped`);
        this.journal.commit(e.pos);
      }
    }
    this.c.replayed += entries.length;
  }

  private async connect(): Promise<void> {
    try {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
      if (this.o.createTopics) {
        const created = await ensureTopics(admin, startupTopics(this.prefix, this.o.ticks), {
          partitions: this.o.partitions,
          replicationFactor: this.o.replicationFactor,
        });
        this.c.topicsCreated += created.length;
        if (created.length > 0) this.log.info(`created topics ${created.join(', ')}`);
      }
      const producer = this.kafka.producer({
        idempotent: this.o.idempotent,
        maxInFlightRequests: this.o.idempotent ? 1 : 5,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
      });
      await producer.connect();
      this.producer = producer;
      this.connected = true;
      this.c.connected = 1;
      const unread = this.journal.stats().unreadRecords;
      if (this.downSince > 0) {
        this.log.info(
          `Kafka ${this.brokers.join(',')} reachable again after ${((Date.now() - this.downSince) / 1000).toFixed(1)} s` +
            (unread > 0 ? `; replaying ${unread} journaled records in order` : ''),
        );
      } else {
        this.log.info(`connected to Kafka ${this.brokers.join(',')}`);
      }
      this.downSince = 0;
      this.failures = 0;
    } catch (e) {
      this.c.connectFailures++;
      await this.teardown();
      this.noteFailure(`cannot connect to Kafka ${this.brokers.join(',')}: ${errorText(e)}`);
      await this.backoff(this.backoffMs());
    }
  }

  private noteFailure(what: string): void {
    this.failures++;
    const now = Date.now();
    if (this.downSince === 0) this.downSince = now;
    // One line at the first failure, then at most one every 5 s.
    if (this.failures === 1 || now - this.lastDownLog >= 5000) {
      this.lastDownLog = now;
      const j = this.journal.stats();
      this.log.warn(
        `${what}; retrying with backoff (attempt ${this.failures}); holding ${this.q.length - this.qHead} records in memory, ` +
          `${j.unreadRecords} in the journal, ${this.conflate.size} conflated keys`,
      );
    }
  }

  private async teardown(): Promise<void> {
    const p = this.producer;
    const a = this.admin;
    this.producer = undefined;
    this.admin = undefined;
    this.connected = false;
    this.c.connected = 0;
    const bounded = (x: Promise<void>): Promise<unknown> => Promise.race([x.catch(() => undefined), sleep(2000)]);
    await Promise.all([
      p !== undefined ? bounded(p.disconnect()) : undefined,
      a !== undefined ? bounded(a.disconnect()) : undefined,
    ]);
  }

  private takeBatch(): { mem: number; conflated: OutRecord[]; conflatedKeys: string[]; records: OutRecord[] } {
    const records: OutRecord[] = [];
    let bytes = 0;
    const conflated: OutRecord[] = [];
    const conflatedKeys: string[] = [];
    const limit = this.batchLimit;
    // Conflated records first (at most half a batch), then the FIFO.
    const confMax = Math.max(1, Math.floor(limit / 2));
    for (const [k, r] of this.conflate) {
      if (conflated.length >= confMax || (records.length > 0 && bytes + r.size > this.o.maxBatchBytes)) break;
      this.conflate.delete(k);
      conflated.push(r);
      conflatedKeys.push(k);
      records.push(r);
      bytes += r.size;
    }
    let mem = 0;
    for (let i = this.qHead; i < this.q.length; i++) {
      const r = this.q[i] as OutRecord;
      if (records.length >= limit || (records.length > 0 && bytes + r.size > this.o.maxBatchBytes)) break;
      records.push(r);
      bytes += r.size;
      mem++;
    }
    return { mem, conflated, conflatedKeys, records };
  }

  private async sendOne(): Promise<void> {
    const producer = this.producer;
    if (producer === undefined) {
      this.connected = false;
      return;
    }
    const { mem, conflated, conflatedKeys, records } = this.takeBatch();
    const byTopic = new Map<string, TopicMessages>();
    for (const r of records) {
      let tm = byTopic.get(r.topic);
      if (tm === undefined) {
        tm = { topic: r.topic, messages: [] };
        byTopic.set(r.topic, tm);
      }
      tm.messages.push({ key: r.key, value: r.value, headers: r.headers, timestamp: String(r.timestampMs) });
    }
    this.c.inFlight = records.length;
    try {
      if (this.o.createTopics) {
        const missing = [...byTopic.keys()].filter((t) => !this.ensured.has(t));
        if (missing.length > 0 && this.admin !== undefined) {
          const created = await ensureTopics(this.admin, missing, {
            partitions: this.o.partitions,
            replicationFactor: this.o.replicationFactor,
          });
          this.c.topicsCreated += created.length;
          if (created.length > 0) this.log.info(`created topics ${created.join(', ')}`);
          for (const t of missing) this.ensured.add(t);
        }
      }
      await producer.sendBatch({
        topicMessages: [...byTopic.values()],
        acks: this.o.acks,
        compression: this.o.compression,
      });
    } catch (e) {
      this.c.inFlight = 0;
      this.c.sendFailures++;
      // Give conflated records back unless a newer value arrived meanwhile.
      conflated.forEach((r, i) => {
        const k = conflatedKeys[i] as string;
        if (this.conflate.has(k)) this.c.conflated++;
        else this.conflate.set(k, r);
      });
      const text = errorText(e);
      if (/MESSAGE_TOO_LARGE|RECORD_LIST_TOO_LARGE|too large/i.test(text)) {
        if (records.length > 1) {
          this.batchLimit = Math.max(1, Math.floor(records.length / 2));
          this.log.warn(
            `Kafka refused a batch of ${records.length} records as too large; batches now at most ${this.batchLimit}`,
          );
          return;
        }
        // One record the broker will never take: it cannot be delivered, say so and move on.
        const r = records[0];
        if (r !== undefined) {
          this.c.tooLarge++;
          this.c.dropped++;
          this.log.error(
            `record ${r.schema} ${r.key} on ${r.topic} (${r.value.length} bytes) is larger than the broker accepts: dropped`,
          );
          if (mem === 1) {
            this.removeHead(1);
            if (r.jpos !== undefined) this.journal.commit(r.jpos);
          } else this.conflate.delete(conflatedKeys[0] as string);
        }
        return;
      }
      // A deleted topic, a broker restart: check the topics again before the next attempt.
      this.ensured.clear();
      this.noteFailure(`produce of ${records.length} records failed: ${text}`);
      if (RESET_ERRORS.test(text) || this.failures >= 3) {
        this.c.producerResets++;
        await this.teardown();
      }
      await this.backoff(this.backoffMs());
      return;
    }
    this.c.inFlight = 0;
    if (this.failures > 0 || this.downSince > 0) {
      this.log.info(`delivering again after ${((Date.now() - this.downSince) / 1000).toFixed(1)} s of failures`);
      this.failures = 0;
      this.downSince = 0;
    }
    // Success: drop the batch from memory, commit journal positions, count.
    const now = process.hrtime.bigint();
    let lastPos: OutRecord['jpos'];
    let bytes = 0;
    for (const r of records) {
      bytes += r.value.length;
      if (r.handoff !== 0n) this.sample(Number(now - r.handoff) / 1000, r.headers['recv-ns']);
      else this.onAck?.(undefined, r.headers['recv-ns']);
    }
    for (let i = 0; i < mem; i++) {
      const r = this.q[this.qHead + i] as OutRecord;
      if (r.jpos !== undefined) lastPos = r.jpos;
    }
    this.removeHead(mem);
    if (lastPos !== undefined) this.journal.commit(lastPos);
    if (this.batchLimit < this.o.maxRecords && records.length >= this.batchLimit) {
      this.batchLimit = Math.min(this.o.maxRecords, this.batchLimit + Math.ceil(this.batchLimit / 8));
    }
    this.c.delivered += records.length;
    this.c.deliveredBytes += bytes;
    this.c.batches++;
  }

  private removeHead(n: number): void {
    for (let i = 0; i < n; i++) {
      const r = this.q[this.qHead + i] as OutRecord;
      this.memBytes -= r.size;
      this.q[this.qHead + i] = undefined as unknown as OutRecord;
    }
    this.qHead += n;
    if (this.qHead > 4096 && this.qHead * 2 > this.q.length) {
      this.q = this.q.slice(this.qHead);
      this.qHead = 0;
    }
  }

  private sample(us: number, recvNs: string | undefined): void {
    this.onAck?.(us, recvNs);
    this.lat[this.latCount % LATENCY_SAMPLES] = us;
    this.latCount++;
    if (us > this.latMax) this.latMax = us;
  }

  // ---------------------------------------------------------------- observe / stop

  counters(): SinkCounters {
    const j = this.journal.stats();
    return {
      ...this.c,
      memoryRecords: this.q.length - this.qHead,
      memoryBytes: this.memBytes,
      conflationKeys: this.conflate.size,
      journalUnread: j.unreadRecords,
      journalDiskBytes: j.diskBytes,
    };
  }

  /** Handoff (publish) → ack latency over the last 65 536 delivered records. */
  latency(): LatencySummary {
    const n = Math.min(this.latCount, LATENCY_SAMPLES);
    if (n === 0) return { count: 0, p50Us: 0, p99Us: 0, maxUs: 0 };
    const s = Float64Array.from(this.lat.subarray(0, n)).sort();
    const at = (p: number): number => s[Math.min(n - 1, Math.floor(p * n))] as number;
    return { count: this.latCount, p50Us: at(0.5), p99Us: at(0.99), maxUs: this.latMax };
  }

  resetLatency(): void {
    this.latCount = 0;
    this.latMax = 0;
  }

  /** Resolves true once everything published so far is delivered, false on timeout. */
  async flush(timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.pendingCount() === 0 && this.c.inFlight === 0) return true;
      if (Date.now() >= deadline || this.pump === undefined) return false;
      this.poke();
      await sleep(10);
    }
  }

  /**
   * Stops accepting records, tries to deliver what is pending for up to
   * timeoutMs, then moves never-drop records still in memory into the journal
   * (ahead of the journal's own records) so the next start replays them.
   */
  async close(opts: { timeoutMs?: number } = {}): Promise<SinkCounters> {
    if (!this.accepting && this.pump === undefined) return this.counters();
    this.accepting = false;
    if (this.pump !== undefined) {
      await this.flush(opts.timeoutMs ?? 10_000);
      this.stopping = true;
      this.interrupt();
      await Promise.race([this.pump, sleep(this.o.requestTimeoutMs + 2000)]);
      this.pump = undefined;
    }
    const left: Buffer[] = [];
    for (let i = this.qHead; i < this.q.length; i++) {
      const r = this.q[i] as OutRecord;
      if (r.policy === 'never-drop') left.push(serializeRecord(r));
      else this.c.dropped++;
    }
    this.c.dropped += this.conflate.size;
    this.q = [];
    this.qHead = 0;
    this.memBytes = 0;
    this.conflate.clear();
    if (left.length > 0) {
      this.journal.rewriteWithHead(left);
      this.c.spilledAtClose += left.length;
      this.log.warn(`closing with Kafka undelivered: ${left.length} records moved to the journal for the next start`);
    }
    const unread = this.journal.stats().unreadRecords;
    if (unread > 0) this.log.warn(`${unread} records remain in the journal ${this.journal.dir}`);
    this.journal.close();
    await this.teardown();
    return this.counters();
  }
}

/** Creates and starts a sink. */
export function createSink(opts: SinkOptions = {}): KafkaSink {
  return new KafkaSink(opts).start();
}
