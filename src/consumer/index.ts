// The consumer SDK for strategies: `import { subscribeSignals } from 'tickwire/consumer'`.
// Typed, decoded records (JSON and binary) from the sink's topics, as an async
// iterator or through a callback, with consumer groups, a start position
// (latest / earliest / a timestamp), symbol and venue filters and a clean close.
// docs/sink.md ("Consumer SDK").
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Admin, type Consumer, type IHeaders, type KafkaMessage } from 'kafkajs';
import type {
  BarSignal,
  BasisSignal,
  BboSignal,
  DepthImbalanceSignal,
  EmaSignal,
  NbboSignal,
  OfiSignal,
  TradeStatsSignal,
} from '../engine/signals';
import { registerCompressionCodecs } from '../sink/codecs';
import { decodeBinary, decodeJson, findSchema, SchemaError, type Encoding, type ValueOf } from '../sink/schemas';
// The signal schemas decode `md.signals.*` (importing registers them).
import '../sink/signal-schemas';
import { defaultBrokers, parseBrokers } from '../sink/sink';
import { DEFAULT_PREFIX, ensureTopics, errorText, topicNames } from '../sink/topics';

export type { Encoding, SchemaTypes, KnownSchemaName, RawFrame, MetricsSnapshot, StatusRecord } from '../sink/schemas';
export type * from '../events';
export type {
  BarSignal,
  BasisSignal,
  BboSignal,
  DepthImbalanceSignal,
  EmaSignal,
  NbboSignal,
  OfiSignal,
  SignalRecord,
  TradeStatsSignal,
} from '../engine/signals';

// Topics written with lz4 or zstd are readable without further setup.
registerCompressionCodecs();

/** The signal kinds of the product brief (one topic each: `<prefix>signals.<kind>`). */
export const SIGNAL_KINDS = ['bbo', 'trade_stats', 'ema', 'ofi', 'bar', 'nbbo', 'basis', 'depth_imbalance'] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

/**
 * Value type per signal kind: the records of src/engine/signals.ts, as both
 * encodings decode them (src/sink/signal-schemas.ts). A kind without an entry
 * decodes to a plain object.
 */
export interface SignalTypes {
  bbo: BboSignal;
  depth_imbalance: DepthImbalanceSignal;
  trade_stats: TradeStatsSignal;
  ema: EmaSignal;
  ofi: OfiSignal;
  bar: BarSignal;
  nbbo: NbboSignal;
  basis: BasisSignal;
}
export type SignalValue<K extends string> = K extends keyof SignalTypes ? SignalTypes[K] : Record<string, unknown>;

export type From = 'latest' | 'earliest' | Date | number;

export interface Message<T> {
  topic: string;
  partition: number;
  offset: string;
  /** `<venue>:<symbol>` (`*:<symbol>` for consolidated signals). */
  key: string;
  venue: string;
  symbol: string;
  /** Header `schema`. */
  schema: string;
  /** Version the record was written with, `major.minor`. */
  version: string;
  encoding: Encoding;
  /** Header `recv-ns`: receive time of the underlying data, ns since epoch. */
  recvNs: bigint;
  /** Header `emit-ns`: when the sink was handed the record, ns since epoch. */
  emitNs: bigint;
  /** Kafka message timestamp, ms since epoch. */
  timestamp: number;
  value: T;
}

export interface SubscribeOptions<N extends string = string> {
  /** Default: $KAFKA_BROKERS, else 127.0.0.1:9092. */
  brokers?: string | string[];
  clientId?: string;
  /** Topic prefix. Default `md.`. */
  prefix?: string;
  /**
   * Streams to read, relative to the prefix: `ticks`, `status`, `metrics`,
   * `signals.<kind>`, `raw.<venue>`. Default: derived from `schemas`.
   */
  streams?: string[];
  /** Full topic names, in addition to `streams`. */
  topics?: string[];
  /** Deliver only these schemas (e.g. `tick.trade`); also picks the topics when no streams/topics are given. */
  schemas?: N[];
  /** Only these symbols (the part of the key after `:`). */
  symbols?: string | string[];
  /** Only these venues (the part of the key before `:`; `*` for consolidated). */
  venues?: string | string[];
  /** Consumer group. Default: a fresh group per subscription. Committed offsets of a group win over `from`, except a timestamp. */
  groupId?: string;
  /** Where a partition without a committed offset starts. Default `latest`. A Date / ms number always seeks to that time. */
  from?: From;
  /** Decoded records held for the iterator before consumption pauses. Default 1000. */
  highWaterMark?: number;
  /** Called for records that cannot be decoded (they are skipped and counted). */
  onError?: (error: Error, where: { topic: string; partition: number; offset: string }) => void;
  /** Partitions for topics the SDK has to create because they do not exist yet. Default 1. */
  createPartitions?: number;
  sessionTimeoutMs?: number;
}

export interface SubscriptionStats {
  received: number;
  delivered: number;
  filtered: number;
  decodeErrors: number;
}

export interface Subscription<T> extends AsyncIterable<Message<T>> {
  readonly groupId: string;
  readonly topics: string[];
  stats(): SubscriptionStats;
  /** Stops consuming, commits what was delivered, disconnects. Idempotent. */
  close(): Promise<void>;
  /** Resolves when the subscription has closed (by close() or a fatal consumer error). */
  readonly closed: Promise<void>;
}

export type Handler<T> = (message: Message<T>) => void | Promise<void>;

function list(v: string | string[] | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const out = (Array.isArray(v) ? v : [v])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return out.length > 0 ? out : undefined;
}

function header(h: IHeaders | undefined, name: string): string | undefined {
  const v = h?.[name];
  if (v === undefined) return undefined;
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? undefined : Buffer.isBuffer(one) ? one.toString('utf8') : String(one);
}

function bigintOr0(s: string | undefined): bigint {
  if (s === undefined || !/^\d+$/.test(s)) return 0n;
  return BigInt(s);
}

/** Decodes one Kafka message of the sink's topics. Throws on records it cannot decode. */
export function decodeMessage(topic: string, partition: number, m: KafkaMessage): Message<unknown> {
  const value = m.value;
  if (value === null) throw new SchemaError('record has no value');
  const schemaName = header(m.headers, 'schema');
  const version = header(m.headers, 'schema-version');
  const encHeader = header(m.headers, 'encoding');
  const encoding: Encoding =
    encHeader === 'json' || encHeader === 'binary' ? encHeader : value[0] === 0x7b ? 'json' : 'binary';
  let decodedValue: unknown;
  let schema: string;
  let ver: string;
  if (encoding === 'binary') {
    const d = decodeBinary(value);
    decodedValue = d.value;
    schema = d.schema.name;
    ver = `${d.version.major}.${d.version.minor}`;
  } else if (schemaName !== undefined && findSchema(schemaName) !== undefined) {
    const d = decodeJson(schemaName, value, version);
    decodedValue = d.value;
    schema = schemaName;
    ver = `${d.version.major}.${d.version.minor}`;
  } else {
    // A schema this reader does not know yet (e.g. a newer signal): JSON is still readable.
    decodedValue = JSON.parse(value.toString('utf8')) as unknown;
    schema = schemaName ?? 'unknown';
    ver = version ?? '0.0';
  }
  const key = m.key?.toString('utf8') ?? '';
  const colon = key.indexOf(':');
  return {
    topic,
    partition,
    offset: m.offset,
    key,
    venue: colon >= 0 ? key.slice(0, colon) : key,
    symbol: colon >= 0 ? key.slice(colon + 1) : '',
    schema,
    version: ver,
    encoding,
    recvNs: bigintOr0(header(m.headers, 'recv-ns')),
    emitNs: bigintOr0(header(m.headers, 'emit-ns')),
    timestamp: Number(m.timestamp),
    value: decodedValue,
  };
}

/** Retries calls that fail while a fresh broker is still loading (e.g. NOT_COORDINATOR), for up to 30 s. */
async function patiently<R>(fn: () => Promise<R>, timeoutMs = 30_000): Promise<R> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 100; ; delay = Math.min(2000, delay * 2)) {
    try {
      return await fn();
    } catch (e) {
      const text = errorText(e);
      if (
        Date.now() + delay > deadline ||
        !/COORDINATOR|LEADER_NOT_AVAILABLE|NOT_LEADER|retriable|timed? ?out/i.test(text)
      )
        throw e;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

function topicsFor(opts: SubscribeOptions, prefix: string): string[] {
  const out = new Set<string>();
  for (const s of opts.streams ?? []) out.add(`${prefix}${s}`);
  for (const t of opts.topics ?? []) out.add(t);
  if (out.size === 0) {
    for (const name of opts.schemas ?? []) {
      const s = findSchema(name);
      if (s === undefined) throw new Error(`unknown schema '${name}'`);
      switch (s.kind) {
        case 'ticks':
          out.add(topicNames.ticks(prefix));
          break;
        case 'status':
          out.add(topicNames.status(prefix));
          break;
        case 'metrics':
          out.add(topicNames.metrics(prefix));
          break;
        case 'signal':
          out.add(topicNames.signal(s.signal ?? name, prefix));
          break;
        case 'raw':
          for (const v of list(opts.venues) ?? []) out.add(topicNames.raw(v, prefix));
          break;
      }
    }
  }
  if (out.size === 0) throw new Error('nothing to subscribe to: give streams, topics, schemas or signals');
  return [...out];
}

/**
 * Subscribes to the sink's topics. Resolves once the consumer has joined its
 * group and every partition is positioned; iterate the result, or pass a
 * handler (awaited per record, so a slow handler slows consumption).
 */
export async function subscribe<N extends string = string>(
  opts: SubscribeOptions<N>,
  handler?: Handler<ValueOf<N>>,
): Promise<Subscription<ValueOf<N>>> {
  type T = ValueOf<N>;
  const brokers = opts.brokers !== undefined ? parseBrokers(opts.brokers) : defaultBrokers();
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  const topics = topicsFor(opts as SubscribeOptions, prefix);
  const groupId = opts.groupId ?? `tickwire-sdk-${randomBytes(6).toString('hex')}`;
  const from: From = opts.from ?? 'latest';
  const symbols = list(opts.symbols);
  const venues = list(opts.venues);
  const schemas = opts.schemas !== undefined && opts.schemas.length > 0 ? new Set<string>(opts.schemas) : undefined;
  const hwm = Math.max(1, opts.highWaterMark ?? 1000);
  const symbolSet = symbols !== undefined ? new Set(symbols) : undefined;
  const venueSet = venues !== undefined ? new Set(venues) : undefined;

  const kafka = new Kafka({
    clientId: opts.clientId ?? 'tickwire-consumer',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    retry: { retries: 5 },
  });
  const admin: Admin = kafka.admin();
  const consumer: Consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: opts.sessionTimeoutMs ?? 10_000,
    heartbeatInterval: 1000,
  });

  const stats: SubscriptionStats = { received: 0, delivered: 0, filtered: 0, decodeErrors: 0 };
  const queue: Message<T>[] = [];
  let qHead = 0;
  let isClosed = false;
  let reader: (() => void) | undefined;
  let drained: (() => void) | undefined;
  let resolveClosed: () => void = () => undefined;
  const closedP = new Promise<void>((r) => {
    resolveClosed = r;
  });
  let closing: Promise<void> | undefined;

  const wakeReader = (): void => {
    const r = reader;
    reader = undefined;
    r?.();
  };
  const wakeWriter = (): void => {
    const d = drained;
    drained = undefined;
    d?.();
  };

  const close = (): Promise<void> => {
    if (closing !== undefined) return closing;
    isClosed = true;
    wakeReader();
    wakeWriter();
    closing = (async (): Promise<void> => {
      const bounded = (p: Promise<void>): Promise<unknown> =>
        Promise.race([p.catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
      await bounded(consumer.disconnect());
      await bounded(admin.disconnect());
      resolveClosed();
    })();
    return closing;
  };

  try {
    await admin.connect();
    const missing = await ensureTopics(admin, topics, { partitions: opts.createPartitions ?? 1, replicationFactor: 1 });
    void missing;
    // Positions decided before joining, so "latest" means "as of subscribe()".
    const seeks: { topic: string; partition: number; offset: string }[] = [];
    for (const topic of topics) {
      if (from instanceof Date || typeof from === 'number') {
        const ms = from instanceof Date ? from.getTime() : from;
        for (const p of await patiently(() => admin.fetchTopicOffsetsByTimestamp(topic, ms))) {
          seeks.push({ topic, partition: p.partition, offset: p.offset });
        }
        continue;
      }
      // A fresh group has no committed offsets; a named one may (they win over `from`).
      const committed =
        opts.groupId === undefined ? [] : await patiently(() => admin.fetchOffsets({ groupId, topics: [topic] }));
      const done = new Set(
        committed.flatMap((t) => t.partitions.filter((p) => Number(p.offset) >= 0).map((p) => p.partition)),
      );
      for (const p of await patiently(() => admin.fetchTopicOffsets(topic))) {
        if (done.has(p.partition)) continue;
        seeks.push({ topic, partition: p.partition, offset: from === 'earliest' ? p.low : p.high });
      }
    }
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: from === 'earliest' });
    // (consumer.run joins the group; kafkajs retries coordinator errors there itself)
    consumer.on(consumer.events.CRASH, (e) => {
      if (e.payload.restart !== true) void close();
    });
    // The start positions. kafkajs keeps seeks in its consumer group, which a
    // crash while joining (a fresh broker's coordinator not ready yet) throws
    // away, and until its restart seek() throws: so they are set again at every
    // join until the first message arrives (the same seeks, so repeating them is harmless).
    let started = false;
    const seekStart = (): void => {
      if (started) return;
      try {
        for (const s of seeks) consumer.seek(s);
      } catch {
        // No group (it crashed while joining and restarts): its next GROUP_JOIN seeks.
      }
    };
    consumer.on(consumer.events.GROUP_JOIN, seekStart);
    await consumer.run({
      autoCommit: true,
      autoCommitInterval: 1000,
      eachMessage: async ({ topic, partition, message }) => {
        if (isClosed) return;
        started = true;
        stats.received++;
        const key = message.key?.toString('utf8') ?? '';
        if (symbolSet !== undefined || venueSet !== undefined) {
          const colon = key.indexOf(':');
          const venue = colon >= 0 ? key.slice(0, colon) : key;
          const symbol = colon >= 0 ? key.slice(colon + 1) : '';
          if ((symbolSet !== undefined && !symbolSet.has(symbol)) || (venueSet !== undefined && !venueSet.has(venue))) {
            stats.filtered++;
            return;
          }
        }
        if (schemas !== undefined) {
          const s = header(message.headers, 'schema');
          if (s !== undefined && !schemas.has(s)) {
            stats.filtered++;
            return;
          }
        }
        let msg: Message<T>;
        try {
          msg = decodeMessage(topic, partition, message) as Message<T>;
        } catch (e) {
          stats.decodeErrors++;
          opts.onError?.(e instanceof Error ? e : new Error(errorText(e)), {
            topic,
            partition,
            offset: message.offset,
          });
          return;
        }
        if (schemas !== undefined && !schemas.has(msg.schema)) {
          stats.filtered++;
          return;
        }
        stats.delivered++;
        if (handler !== undefined) {
          await handler(msg);
          return;
        }
        queue.push(msg);
        wakeReader();
        while (!isClosed && queue.length - qHead >= hwm) {
          await new Promise<void>((r) => {
            drained = r;
          });
        }
      },
    });
    seekStart();
  } catch (e) {
    await close();
    throw new Error(`subscribe to ${topics.join(', ')} on ${brokers.join(',')} failed: ${errorText(e)}`);
  }

  const iterator = (): AsyncIterator<Message<T>> => ({
    next: async (): Promise<IteratorResult<Message<T>>> => {
      for (;;) {
        if (qHead < queue.length) {
          const m = queue[qHead] as Message<T>;
          queue[qHead] = undefined as unknown as Message<T>;
          qHead++;
          if (qHead > 1024 && qHead * 2 > queue.length) {
            queue.splice(0, qHead);
            qHead = 0;
          }
          if (queue.length - qHead < hwm) wakeWriter();
          return { value: m, done: false };
        }
        if (isClosed) return { value: undefined, done: true };
        await new Promise<void>((r) => {
          reader = r;
        });
      }
    },
    return: async (): Promise<IteratorResult<Message<T>>> => {
      await close();
      return { value: undefined, done: true };
    },
  });

  return {
    groupId,
    topics,
    stats: () => ({ ...stats }),
    close,
    closed: closedP,
    [Symbol.asyncIterator]: iterator,
  };
}

export interface SignalSubscribeOptions<K extends string> extends Omit<SubscribeOptions, 'streams' | 'schemas'> {
  /** Signal kinds, e.g. `['bbo', 'ema']`: topics `<prefix>signals.<kind>`. */
  signals: K[];
}

/** Subscribes to signal topics; values are typed per kind (SignalTypes). */
export async function subscribeSignals<K extends string>(
  opts: SignalSubscribeOptions<K>,
  handler?: Handler<SignalValue<K>>,
): Promise<Subscription<SignalValue<K>>> {
  if (opts.signals.length === 0) throw new Error('subscribeSignals: give at least one signal');
  for (const s of opts.signals) {
    if (!/^[a-z0-9_]+$/.test(s)) throw new Error(`subscribeSignals: invalid signal name '${s}'`);
  }
  const { signals, ...rest } = opts;
  const sub = await subscribe<string>(
    { ...rest, streams: signals.map((s) => `signals.${s}`) },
    handler as Handler<unknown> | undefined,
  );
  return sub as Subscription<SignalValue<K>>;
}

export { decodeBinary, decodeJson } from '../sink/schemas';
