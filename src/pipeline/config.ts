// The `tickwire run` configuration: one YAML or JSON file, validated as a whole
// (every problem reported with its path), environment overrides applied on top,
// defaults filled in. docs/operations.md ("Configuration") describes each key.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { VENUES, isVenueId, type VenueId } from '../events';
import { SIGNAL_RECORD_TYPES, type SignalName } from '../engine/signals';
import { DEFAULT_SIGNAL_CONFIG, type SignalConfig } from '../reference/signals/engine';
import type { Compression } from '../sink/sink';
import { parseCanonicalSymbol } from '../venues/symbols';
import { FEED_CHANNELS, type FeedChannel, type VenueConfig } from '../venues/types';

export const SIGNAL_NAMES = Object.keys(SIGNAL_RECORD_TYPES) as SignalName[];
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface SaslConfig {
  mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  username: string;
  password: string;
}

export interface RunConfig {
  /** Per venue: symbols, channels and connector settings (docs/connectors.md). */
  venues: Partial<Record<VenueId, VenueConfig>>;
  /** Run the local exchange simulator in-process and point every venue at it. */
  simulator: { enabled: boolean; rate: number; seed: number; port: number };
  engine: {
    mode: 'inline' | 'thread';
    inputRingBytes: number;
    outputRingBytes: number;
    maxFrameBytes: number;
    books: boolean;
    krakenDepth: number;
    staleAfterMs: number;
  };
  signals: { enabled: boolean; publish: SignalName[]; params: SignalConfig };
  sink: {
    /** `kafka` publishes; `stdout` prints signals as JSON Lines (no broker needed). */
    output: 'kafka' | 'stdout';
    brokers: string[];
    clientId: string;
    prefix: string;
    encoding: 'json' | 'binary';
    ticks: boolean;
    acks: 'all' | 0 | 1;
    idempotent: boolean;
    compression: Compression;
    batch: { maxRecords: number; maxBytes: number; lingerMs: number };
    memory: { maxRecords: number; maxBytes: number };
    journal: { dir: string; maxBytes: number };
    topics: { create: boolean; partitions: number; replicationFactor: number };
    /** Per-schema delivery policy overrides, e.g. `{ "tick.bbo": "conflate" }`. */
    policies: Record<string, 'never-drop' | 'conflate' | 'drop'>;
    /** How long shutdown waits for Kafka to acknowledge what is pending. */
    flushTimeoutMs: number;
    ssl: boolean;
    sasl?: SaslConfig;
  };
  observability: {
    /** Address of /metrics, /healthz, /readyz. */
    host: string;
    /** 0 = an ephemeral port; -1 = no HTTP server. */
    port: number;
    /** How often a metrics snapshot goes to `<prefix>metrics` (0 = never). */
    metricsIntervalMs: number;
    logLevel: LogLevel;
    /** Refresh interval of the live terminal view (0 = no view). */
    viewIntervalMs: number;
  };
  /** Process `index` of `count` handles the instruments whose hash falls on it. */
  shard: { index: number; count: number };
  /** Where frames come from: the venue connectors, or raw topics written by `tickwire capture` (docs/capture.md). */
  source: SourceConfig;
}

/** `source:` — docs/capture.md. */
export interface SourceConfig {
  /** `venues`: the venue connectors (default); `kafka`: `<prefix>raw.<venue>` written by `tickwire capture`. */
  type: 'venues' | 'kafka';
  /** Brokers holding the raw topics (default: sink.brokers). */
  brokers: string[];
  /** Prefix of the raw topics, one per configured venue (default: sink.prefix). */
  prefix: string;
  /** Consumer group; its committed offsets are where a restart resumes. */
  groupId: string;
  /** Where a group without committed offsets starts. */
  from: 'earliest' | 'latest';
  /** How often outputs are flushed to Kafka and the consumed offsets committed. */
  commitIntervalMs: number;
  /** How long one commit cycle waits for the outputs' acks before it gives up (and retries next cycle). */
  commitTimeoutMs: number;
  /** At most this many messages per partition are replayed before the committed offset at start (0 = from the group's origin). */
  warmupMessages: number;
  /** Messages fetched ahead of the engine, over all partitions; the fetcher waits beyond it. */
  maxBufferedMessages: number;
}

export const DEFAULT_CONFIG: RunConfig = {
  venues: {},
  simulator: { enabled: false, rate: 300, seed: 1, port: 0 },
  engine: {
    mode: 'inline',
    // 16 MiB: a second or more of a busy feed while the loop is held up (GC, a slow producer call).
    inputRingBytes: 1 << 24,
    outputRingBytes: 1 << 24,
    maxFrameBytes: 4 << 20,
    books: true,
    krakenDepth: 10,
    staleAfterMs: 30_000,
  },
  signals: { enabled: true, publish: [...SIGNAL_NAMES], params: { ...DEFAULT_SIGNAL_CONFIG } },
  sink: {
    output: 'kafka',
    brokers: ['127.0.0.1:9092'],
    clientId: 'tickwire',
    prefix: 'md.',
    encoding: 'json',
    ticks: true,
    acks: 'all',
    idempotent: true,
    compression: 'none',
    batch: { maxRecords: 1000, maxBytes: 512 * 1024, lingerMs: 5 },
    memory: { maxRecords: 100_000, maxBytes: 64 << 20 },
    journal: { dir: '.tickwire/journal', maxBytes: 1 << 30 },
    topics: { create: true, partitions: 1, replicationFactor: 1 },
    policies: {},
    flushTimeoutMs: 10_000,
    ssl: false,
  },
  observability: { host: '127.0.0.1', port: 9464, metricsIntervalMs: 5000, logLevel: 'info', viewIntervalMs: 0 },
  shard: { index: 0, count: 1 },
  source: {
    type: 'venues',
    brokers: ['127.0.0.1:9092'],
    prefix: 'md.',
    groupId: 'tickwire-compute',
    from: 'earliest',
    commitIntervalMs: 1000,
    commitTimeoutMs: 10_000,
    warmupMessages: 0,
    maxBufferedMessages: 20_000,
  },
};

/** A config that failed validation; `problems` holds one `path: reason` per problem. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Collects problems while reading a raw config; each reader returns the fallback on a problem. */
class Reader {
  readonly problems: string[] = [];

  problem(path: string, reason: string): void {
    this.problems.push(`${path}: ${reason}`);
  }

  section(raw: Obj, key: string, path: string, known: readonly string[]): Obj {
    const v = raw[key];
    if (v === undefined) return {};
    if (!isObj(v)) {
      this.problem(path, 'must be a mapping');
      return {};
    }
    this.unknownKeys(v, path, known);
    return v;
  }

  unknownKeys(raw: Obj, path: string, known: readonly string[]): void {
    for (const k of Object.keys(raw)) {
      if (!known.includes(k)) this.problem(path ? `${path}.${k}` : k, `unknown key (known: ${known.join(', ')})`);
    }
  }

  bool(raw: Obj, key: string, path: string, fallback: boolean): boolean {
    const v = raw[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') {
      this.problem(`${path}.${key}`, `must be true or false, got ${show(v)}`);
      return fallback;
    }
    return v;
  }

  int(raw: Obj, key: string, path: string, fallback: number, lo: number, hi: number): number {
    const v = raw[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
      this.problem(`${path}.${key}`, `must be an integer in [${lo}, ${hi}], got ${show(v)}`);
      return fallback;
    }
    return v;
  }

  str(raw: Obj, key: string, path: string, fallback: string, check?: (s: string) => string | undefined): string {
    const v = raw[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || v.length === 0) {
      this.problem(`${path}.${key}`, `must be a non-empty string, got ${show(v)}`);
      return fallback;
    }
    const bad = check?.(v);
    if (bad !== undefined) {
      this.problem(`${path}.${key}`, bad);
      return fallback;
    }
    return v;
  }

  oneOf<T extends string | number>(raw: Obj, key: string, path: string, fallback: T, allowed: readonly T[]): T {
    const v = raw[key];
    if (v === undefined) return fallback;
    if (!(allowed as readonly unknown[]).includes(v)) {
      this.problem(`${path}.${key}`, `must be one of ${allowed.join(', ')}, got ${show(v)}`);
      return fallback;
    }
    return v as T;
  }

  intList(raw: Obj, key: string, path: string, fallback: number[], lo: number, hi: number): number[] {
    const v = raw[key];
    if (v === undefined) return fallback;
    if (!Array.isArray(v) || v.length === 0 || !v.every((n) => Number.isInteger(n) && n >= lo && n <= hi)) {
      this.problem(`${path}.${key}`, `must be a non-empty list of integers in [${lo}, ${hi}], got ${show(v)}`);
      return fallback;
    }
    return v as number[];
  }
}

function show(v: unknown): string {
  const text = JSON.stringify(v);
  return text === undefined ? String(v) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const MAX_RING = 1 << 30;
const HOUR_MS = 3_600_000;

/** Keys of a venue's section: VenueConfig (src/venues/types.ts). */
const VENUE_KEYS = [
  'symbols',
  'channels',
  'wsUrl',
  'wsUrlPerp',
  'wsUrlPublic',
  'endpoints',
  'restUrl',
  'limits',
  'keepAlive',
  'backoff',
  'rest',
  'maxConnectionAgeMs',
  'overlapMs',
  'backfill',
  'bookDepth',
  'instruments',
];

function readVenues(r: Reader, raw: Obj): RunConfig['venues'] {
  const out: RunConfig['venues'] = {};
  const v = raw['venues'];
  if (v === undefined) {
    r.problem('venues', `required: at least one of ${VENUES.join(', ')} with its symbols`);
    return out;
  }
  if (!isObj(v) || Object.keys(v).length === 0) {
    r.problem('venues', `must be a mapping of venue → { symbols: [...] } (venues: ${VENUES.join(', ')})`);
    return out;
  }
  for (const [name, value] of Object.entries(v)) {
    const path = `venues.${name}`;
    if (!isVenueId(name)) {
      r.problem(path, `unknown venue (known: ${VENUES.join(', ')})`);
      continue;
    }
    if (!isObj(value)) {
      r.problem(path, 'must be a mapping with symbols: [...]');
      continue;
    }
    r.unknownKeys(value, path, VENUE_KEYS);
    const symbols = value['symbols'];
    if (!Array.isArray(symbols) || symbols.length === 0 || !symbols.every((s) => typeof s === 'string')) {
      r.problem(`${path}.symbols`, 'must be a non-empty list of canonical symbols like BTC-USDT or BTC-USDT-PERP');
      continue;
    }
    let ok = true;
    symbols.forEach((s: string, i: number) => {
      try {
        parseCanonicalSymbol(s);
      } catch (e) {
        r.problem(`${path}.symbols[${i}]`, (e as Error).message);
        ok = false;
      }
    });
    if (new Set(symbols).size !== symbols.length) {
      r.problem(`${path}.symbols`, 'lists a symbol twice');
      ok = false;
    }
    const channels = value['channels'];
    if (
      channels !== undefined &&
      (!Array.isArray(channels) ||
        channels.length === 0 ||
        !channels.every((c) => (FEED_CHANNELS as readonly unknown[]).includes(c)))
    ) {
      r.problem(`${path}.channels`, `must be a non-empty list of ${FEED_CHANNELS.join(', ')}`);
      ok = false;
    }
    for (const key of ['wsUrl', 'wsUrlPerp', 'wsUrlPublic', 'restUrl'] as const) {
      const url = value[key];
      if (url !== undefined && (typeof url !== 'string' || !/^(wss?|https?):\/\/\S+$/.test(url))) {
        r.problem(`${path}.${key}`, `must be a ws(s):// or http(s):// URL, got ${show(url)}`);
        ok = false;
      }
    }
    if (ok) out[name] = { ...(value as unknown as VenueConfig), channels: channels as FeedChannel[] | undefined };
  }
  return out;
}

function readSignals(r: Reader, raw: Obj): RunConfig['signals'] {
  const d = DEFAULT_CONFIG.signals;
  const s = r.section(raw, 'signals', 'signals', ['enabled', 'publish', 'params']);
  let publish = d.publish;
  if (s['publish'] !== undefined) {
    const p = s['publish'];
    if (!Array.isArray(p) || !p.every((n) => (SIGNAL_NAMES as unknown[]).includes(n))) {
      r.problem('signals.publish', `must be a list of ${SIGNAL_NAMES.join(', ')}, got ${show(p)}`);
    } else publish = p as SignalName[];
  }
  const pr = r.section(s, 'params', 'signals.params', Object.keys(DEFAULT_SIGNAL_CONFIG));
  const P = 'signals.params';
  const dp = d.params;
  const day = 86_400_000_000;
  const params: SignalConfig = {
    depthLevels: r.int(pr, 'depthLevels', P, dp.depthLevels, 1, 50),
    tradeWindowsUs: r.intList(pr, 'tradeWindowsUs', P, dp.tradeWindowsUs, 1000, day),
    emaHalfLivesUs: r.intList(pr, 'emaHalfLivesUs', P, dp.emaHalfLivesUs, 1000, day),
    ofiWindowUs: r.int(pr, 'ofiWindowUs', P, dp.ofiWindowUs, 1000, day),
    barIntervalsUs: r.intList(pr, 'barIntervalsUs', P, dp.barIntervalsUs, 1000, day),
    latenessUs: r.int(pr, 'latenessUs', P, dp.latenessUs, 0, day),
    latePolicy: r.oneOf(pr, 'latePolicy', P, dp.latePolicy, ['drop', 'revise'] as const),
    idleTimeoutUs: r.int(pr, 'idleTimeoutUs', P, dp.idleTimeoutUs, 0, day),
    reviseHorizonUs: r.int(pr, 'reviseHorizonUs', P, dp.reviseHorizonUs, 0, day),
    quoteStaleUs: r.int(pr, 'quoteStaleUs', P, dp.quoteStaleUs, 0, day),
  };
  return { enabled: r.bool(s, 'enabled', 'signals', d.enabled), publish, params };
}

function readSink(r: Reader, raw: Obj): RunConfig['sink'] {
  const d = DEFAULT_CONFIG.sink;
  const P = 'sink';
  const s = r.section(raw, 'sink', P, [
    'output',
    'brokers',
    'clientId',
    'prefix',
    'encoding',
    'ticks',
    'acks',
    'idempotent',
    'compression',
    'batch',
    'memory',
    'journal',
    'topics',
    'policies',
    'flushTimeoutMs',
    'ssl',
    'sasl',
  ]);
  let brokers = d.brokers;
  if (s['brokers'] !== undefined) {
    const b = s['brokers'];
    const list = typeof b === 'string' ? b.split(',').map((x) => x.trim()) : b;
    if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'string' && isHostPort(x))) {
      r.problem('sink.brokers', `must be host:port entries (a list or comma-separated), got ${show(b)}`);
    } else brokers = list as string[];
  }
  const batch = r.section(s, 'batch', 'sink.batch', ['maxRecords', 'maxBytes', 'lingerMs']);
  const memory = r.section(s, 'memory', 'sink.memory', ['maxRecords', 'maxBytes']);
  const journal = r.section(s, 'journal', 'sink.journal', ['dir', 'maxBytes']);
  const topics = r.section(s, 'topics', 'sink.topics', ['create', 'partitions', 'replicationFactor']);
  const policies: Record<string, 'never-drop' | 'conflate' | 'drop'> = {};
  if (s['policies'] !== undefined) {
    if (!isObj(s['policies'])) r.problem('sink.policies', 'must be a mapping of schema name → policy');
    else {
      for (const [name, p] of Object.entries(s['policies'])) {
        if (p !== 'never-drop' && p !== 'conflate' && p !== 'drop') {
          r.problem(`sink.policies.${name}`, `must be never-drop, conflate or drop, got ${show(p)}`);
        } else policies[name] = p;
      }
    }
  }
  let sasl: SaslConfig | undefined;
  if (s['sasl'] !== undefined) {
    const a = r.section(s, 'sasl', 'sink.sasl', ['mechanism', 'username', 'password']);
    sasl = {
      mechanism: r.oneOf(a, 'mechanism', 'sink.sasl', 'plain', ['plain', 'scram-sha-256', 'scram-sha-512'] as const),
      username: r.str(a, 'username', 'sink.sasl', ''),
      password: r.str(a, 'password', 'sink.sasl', ''),
    };
    if (sasl.username === '' || sasl.password === '') r.problem('sink.sasl', 'needs username and password');
  }
  const idempotent = r.bool(s, 'idempotent', P, d.idempotent);
  const acks = r.oneOf(s, 'acks', P, d.acks, ['all', 0, 1] as const);
  if (idempotent && acks !== 'all')
    r.problem('sink.acks', 'an idempotent producer needs acks: all (or idempotent: false)');
  return {
    output: r.oneOf(s, 'output', P, d.output, ['kafka', 'stdout'] as const),
    brokers,
    clientId: r.str(s, 'clientId', P, d.clientId),
    prefix: r.str(s, 'prefix', P, d.prefix, (v) =>
      /^[A-Za-z0-9._-]*$/.test(v) ? undefined : 'may hold only letters, digits, ".", "_" and "-"',
    ),
    encoding: r.oneOf(s, 'encoding', P, d.encoding, ['json', 'binary'] as const),
    ticks: r.bool(s, 'ticks', P, d.ticks),
    acks,
    idempotent,
    compression: r.oneOf(s, 'compression', P, d.compression, ['none', 'gzip', 'lz4', 'zstd'] as const),
    batch: {
      maxRecords: r.int(batch, 'maxRecords', 'sink.batch', d.batch.maxRecords, 1, 100_000),
      maxBytes: r.int(batch, 'maxBytes', 'sink.batch', d.batch.maxBytes, 1024, 64 << 20),
      lingerMs: r.int(batch, 'lingerMs', 'sink.batch', d.batch.lingerMs, 0, 10_000),
    },
    memory: {
      maxRecords: r.int(memory, 'maxRecords', 'sink.memory', d.memory.maxRecords, 1, 100_000_000),
      maxBytes: r.int(memory, 'maxBytes', 'sink.memory', d.memory.maxBytes, 1024, 16 * 2 ** 30),
    },
    journal: {
      dir: r.str(journal, 'dir', 'sink.journal', d.journal.dir),
      maxBytes: r.int(journal, 'maxBytes', 'sink.journal', d.journal.maxBytes, 1 << 20, 2 ** 40),
    },
    topics: {
      create: r.bool(topics, 'create', 'sink.topics', d.topics.create),
      partitions: r.int(topics, 'partitions', 'sink.topics', d.topics.partitions, 1, 10_000),
      replicationFactor: r.int(topics, 'replicationFactor', 'sink.topics', d.topics.replicationFactor, 1, 16),
    },
    policies,
    flushTimeoutMs: r.int(s, 'flushTimeoutMs', P, d.flushTimeoutMs, 0, HOUR_MS),
    ssl: r.bool(s, 'ssl', P, d.ssl),
    ...(sasl !== undefined ? { sasl } : {}),
  };
}

function isHostPort(s: string): boolean {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(s);
  return m !== null && Number(m[2]) >= 1 && Number(m[2]) <= 65535;
}

const SOURCE_KEYS = [
  'type',
  'brokers',
  'prefix',
  'groupId',
  'from',
  'commitIntervalMs',
  'commitTimeoutMs',
  'warmupMessages',
  'maxBufferedMessages',
];

/** `source:`; brokers and prefix default to the sink's, so one broker list serves both sides. */
function readSource(r: Reader, raw: Obj, sink: RunConfig['sink']): SourceConfig {
  const d = DEFAULT_CONFIG.source;
  const P = 'source';
  const s = r.section(raw, 'source', P, SOURCE_KEYS);
  let brokers = sink.brokers;
  if (s['brokers'] !== undefined) {
    const b = s['brokers'];
    const list = typeof b === 'string' ? b.split(',').map((x) => x.trim()) : b;
    if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'string' && isHostPort(x))) {
      r.problem('source.brokers', `must be host:port entries (a list or comma-separated), got ${show(b)}`);
    } else brokers = list as string[];
  }
  return {
    type: r.oneOf(s, 'type', P, d.type, ['venues', 'kafka'] as const),
    brokers,
    prefix: r.str(s, 'prefix', P, sink.prefix, (v) =>
      /^[A-Za-z0-9._-]*$/.test(v) ? undefined : 'may hold only letters, digits, ".", "_" and "-"',
    ),
    groupId: r.str(s, 'groupId', P, d.groupId),
    from: r.oneOf(s, 'from', P, d.from, ['earliest', 'latest'] as const),
    commitIntervalMs: r.int(s, 'commitIntervalMs', P, d.commitIntervalMs, 10, HOUR_MS),
    commitTimeoutMs: r.int(s, 'commitTimeoutMs', P, d.commitTimeoutMs, 100, HOUR_MS),
    warmupMessages: r.int(s, 'warmupMessages', P, d.warmupMessages, 0, Number.MAX_SAFE_INTEGER),
    maxBufferedMessages: r.int(s, 'maxBufferedMessages', P, d.maxBufferedMessages, 100, 10_000_000),
  };
}

function readShard(r: Reader, raw: Obj): RunConfig['shard'] {
  const v = raw['shard'];
  if (v === undefined) return { ...DEFAULT_CONFIG.shard };
  const parsed = typeof v === 'string' ? parseShard(v) : undefined;
  if (parsed === undefined) {
    r.problem('shard', `must be "i/n" with 0 ≤ i < n ≤ 1024, got ${show(v)}`);
    return { ...DEFAULT_CONFIG.shard };
  }
  return parsed;
}

export function parseShard(text: string): RunConfig['shard'] | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return count >= 1 && count <= 1024 && index < count ? { index, count } : undefined;
}

/** Validates a parsed config document; throws ConfigError listing every problem. */
export function validateConfig(raw: unknown): RunConfig {
  const r = new Reader();
  if (!isObj(raw)) throw new ConfigError(['(root): must be a mapping']);
  r.unknownKeys(raw, '', ['venues', 'simulator', 'engine', 'signals', 'sink', 'observability', 'shard', 'source']);
  const d = DEFAULT_CONFIG;
  const sim = r.section(raw, 'simulator', 'simulator', ['enabled', 'rate', 'seed', 'port']);
  const eng = r.section(raw, 'engine', 'engine', Object.keys(d.engine));
  const obs = r.section(raw, 'observability', 'observability', Object.keys(d.observability));
  const ring = (key: 'inputRingBytes' | 'outputRingBytes'): number => {
    const n = r.int(eng, key, 'engine', d.engine[key], 1 << 16, MAX_RING);
    if ((n & (n - 1)) !== 0) {
      r.problem(`engine.${key}`, `must be a power of two, got ${n}`);
      return d.engine[key];
    }
    return n;
  };
  const config: RunConfig = {
    venues: readVenues(r, raw),
    simulator: {
      enabled: r.bool(sim, 'enabled', 'simulator', d.simulator.enabled),
      rate: r.int(sim, 'rate', 'simulator', d.simulator.rate, 1, 1_000_000),
      seed: r.int(sim, 'seed', 'simulator', d.simulator.seed, 0, 2 ** 31 - 1),
      port: r.int(sim, 'port', 'simulator', d.simulator.port, 0, 65535),
    },
    engine: {
      mode: r.oneOf(eng, 'mode', 'engine', d.engine.mode, ['inline', 'thread'] as const),
      inputRingBytes: ring('inputRingBytes'),
      outputRingBytes: ring('outputRingBytes'),
      maxFrameBytes: r.int(eng, 'maxFrameBytes', 'engine', d.engine.maxFrameBytes, 1024, 64 << 20),
      books: r.bool(eng, 'books', 'engine', d.engine.books),
      krakenDepth: r.oneOf(eng, 'krakenDepth', 'engine', d.engine.krakenDepth, [10, 25, 100, 500, 1000] as const),
      staleAfterMs: r.int(eng, 'staleAfterMs', 'engine', d.engine.staleAfterMs, 0, HOUR_MS),
    },
    signals: readSignals(r, raw),
    sink: readSink(r, raw),
    observability: {
      host: r.str(obs, 'host', 'observability', d.observability.host),
      port: r.int(obs, 'port', 'observability', d.observability.port, -1, 65535),
      metricsIntervalMs: r.int(
        obs,
        'metricsIntervalMs',
        'observability',
        d.observability.metricsIntervalMs,
        0,
        HOUR_MS,
      ),
      logLevel: r.oneOf(obs, 'logLevel', 'observability', d.observability.logLevel, LOG_LEVELS),
      viewIntervalMs: r.int(obs, 'viewIntervalMs', 'observability', d.observability.viewIntervalMs, 0, 60_000),
    },
    shard: readShard(r, raw),
    source: DEFAULT_CONFIG.source,
  };
  config.source = readSource(r, raw, config.sink);
  if (config.source.type === 'kafka') {
    // The Kafka source decides which engine outputs a restart re-publishes by
    // running the engine itself between frames (docs/capture.md).
    if (config.engine.mode !== 'inline') r.problem('source.type', 'kafka needs engine.mode: inline');
    // A raw topic holds every instrument of its venue; frames are not filtered per shard.
    if (config.shard.count !== 1) r.problem('source.type', 'kafka cannot be combined with shard (use one process)');
    if (config.simulator.enabled)
      r.problem('source.type', 'kafka reads captured frames; simulator.enabled must be false');
  }
  if (config.engine.maxFrameBytes * 2 + 64 > config.engine.inputRingBytes) {
    r.problem('engine.maxFrameBytes', `must fit twice in engine.inputRingBytes (${config.engine.inputRingBytes})`);
  }
  if (config.signals.enabled && !config.engine.books) {
    r.problem('signals.enabled', 'signals need engine.books: true (quote signals read the books)');
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

/** Environment variables that override config keys, applied after the file. */
export const ENV_OVERRIDES: Record<string, string> = {
  KAFKA_BROKERS: 'sink.brokers',
  TICKWIRE_OUTPUT: 'sink.output',
  TICKWIRE_TOPIC_PREFIX: 'sink.prefix',
  TICKWIRE_ENCODING: 'sink.encoding',
  TICKWIRE_METRICS_HOST: 'observability.host',
  TICKWIRE_METRICS_PORT: 'observability.port',
  TICKWIRE_LOG_LEVEL: 'observability.logLevel',
  TICKWIRE_JOURNAL_DIR: 'sink.journal.dir',
  TICKWIRE_SHARD: 'shard',
  KAFKA_SASL_USERNAME: 'sink.sasl.username',
  KAFKA_SASL_PASSWORD: 'sink.sasl.password',
};

const NUMERIC_PATHS = new Set(['observability.port']);

/** Writes the environment overrides into a raw config document (before validation, so they are checked too). */
export function applyEnv(raw: unknown, env: NodeJS.ProcessEnv = process.env): unknown {
  if (!isObj(raw)) return raw;
  const doc = structuredClone(raw);
  for (const [name, path] of Object.entries(ENV_OVERRIDES)) {
    const text = env[name];
    if (text === undefined || text === '') continue;
    const keys = path.split('.');
    let at: Obj = doc;
    for (const k of keys.slice(0, -1)) {
      if (!isObj(at[k])) at[k] = {};
      at = at[k] as Obj;
    }
    const numeric = NUMERIC_PATHS.has(path) && /^-?\d+$/.test(text);
    at[keys.at(-1)!] = numeric ? Number(text) : text;
  }
  if (env['KAFKA_SASL_USERNAME'] && isObj(doc['sink']) && isObj(doc['sink']['sasl'])) {
    doc['sink']['sasl']['mechanism'] ??= env['KAFKA_SASL_MECHANISM'] ?? 'plain';
  }
  return doc;
}

/** Reads a YAML (or JSON, which YAML includes) config file. */
export function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`]);
  }
  try {
    return parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (e) {
    throw new ConfigError([`${file}: not valid YAML/JSON: ${(e as Error).message.split('\n')[0]}`]);
  }
}

/** The file, plus environment overrides, validated. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): RunConfig {
  return validateConfig(applyEnv(readConfigFile(file), env));
}

/** Stable FNV-1a of `venue:symbol` → which shard owns the instrument. */
export function shardOf(venue: VenueId, symbol: string, count: number): number {
  let h = 0x811c9dc5;
  const key = `${venue}:${symbol}`;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % count;
}

/** The venues and symbols this shard handles (venues left with no symbol are dropped). */
export function shardVenues(config: RunConfig): RunConfig['venues'] {
  const { index, count } = config.shard;
  if (count === 1) return config.venues;
  const out: RunConfig['venues'] = {};
  for (const [name, vc] of Object.entries(config.venues)) {
    const venue = name as VenueId;
    if (!vc) continue;
    const symbols = vc.symbols.filter((s) => shardOf(venue, s, count) === index);
    if (symbols.length > 0) out[venue] = { ...vc, symbols };
  }
  return out;
}

const SECRET_KEYS = new Set(['password', 'sasl_password', 'secret', 'apiSecret', 'apiKey', 'token']);

/** The effective config with credentials replaced, for `config --print` and logs. */
export function redactConfig(config: RunConfig): unknown {
  return JSON.parse(
    JSON.stringify(config, (key, value: unknown) =>
      SECRET_KEYS.has(key) && typeof value === 'string' ? '***' : value,
    ),
  );
}
