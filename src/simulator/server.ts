// The simulator: one HTTP server on 127.0.0.1 with WebSocket upgrades and REST
// below a path prefix per venue, a control API under /control, a scheduler
// that advances the market models at a fixed total rate, and the fault
// injector on every connection's send path.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { VENUES, isVenueId, type Market, type VenueId } from '../events';
import { FaultController, parseFaultSpec, type FaultCounts, type FaultRule, type FaultSpec } from './faults';
import { parseCanonical, specFor, symbolsForVenue, venueSymbol } from './instruments';
import { SymbolModel, type StepResult } from './model';
import { Rng, hashSeed } from './rng';
import { createBinance } from './venues/binance';
import { createBinanceFutures } from './venues/binance-futures';
import { createBybit } from './venues/bybit';
import { createCoinbase } from './venues/coinbase';
import { createCoinbaseAdvanced } from './venues/coinbase-advanced';
import { createKraken } from './venues/kraken';
import { createOkx } from './venues/okx';
import type { Conn, FrameMeta, RestReply, SimInstrument, VenueAdapter, VenueContext } from './venues/types';

export const MAX_RATE = 1_000_000;
export const MAX_DURATION_MS = 7 * 24 * 3600 * 1000;

export interface SimulatorOptions {
  /** Venues to serve (default: all seven). */
  venues?: readonly VenueId[];
  /** Canonical symbols, e.g. BTC-USDT, ETH-USDT, BTC-USDT-PERP (default BTC-USDT, ETH-USDT). */
  symbols?: readonly string[];
  /** Total model steps per second over all venue books (≈ frames/s per subscribed stream set); default 1000. */
  rate?: number;
  /** PRNG seed (default 1). */
  seed?: number;
  /** TCP port on 127.0.0.1; 0 = ephemeral (default). */
  port?: number;
  /** Stop by itself after this long. */
  durationMs?: number;
  /** Start with the models paused (advance with resume() or step()). */
  paused?: boolean;
  /**
   * 'wall' (default): timestamps are the real time of each step. 'virtual':
   * step k is stamped startTimeMs + k/rate, so frames are byte-identical across runs.
   */
  clock?: 'wall' | 'virtual';
  /** Start of the virtual clock (default 1_767_225_600_000 = 2026-01-01T00:00:00Z). */
  startTimeMs?: number;
  /** OKX book checksum: 'legacy' CRC32 (default) or 'zero' as OKX sends since 2026-06. */
  okxChecksum?: 'legacy' | 'zero';
  /** Faults active from the start. */
  faults?: readonly FaultSpec[];
  /** Price noise multiplier (default 1). */
  volatility?: number;
  /** A connection whose unsent bytes exceed this is dropped as a slow consumer (default 64 MiB). */
  maxBufferedBytes?: number;
}

export interface VenueUrls {
  ws: string;
  rest: string;
  /** Bybit linear (perpetual) endpoint. */
  wsPerp?: string;
  /** Binance futures, 2026 layout: the `/public` (depth, bookTicker) and `/market` (trade, markPrice) bases. */
  wsPublic?: string;
  wsMarket?: string;
}

export interface SimulatorStats {
  uptimeMs: number;
  modelSteps: number;
  /** Steps the scheduler skipped because it fell behind the rate. */
  lagSteps: number;
  framesSent: number;
  bytesSent: number;
  framesByVenue: Partial<Record<VenueId, number>>;
  connectionsOpen: number;
  connectionsTotal: number;
  slowConsumerDisconnects: number;
  restRequests: number;
  faults: FaultCounts;
  faultsByVenue: Partial<Record<VenueId, FaultCounts>>;
}

export interface FaultApi {
  inject(spec: FaultSpec): number;
  clear(id?: number): void;
  list(): FaultRule[];
}

export interface Simulator {
  port: number;
  urls: Partial<Record<VenueId, VenueUrls>>;
  faults: FaultApi;
  stats(): SimulatorStats;
  /** Instruments (models) per venue, for tests and tools. */
  instruments(venue: VenueId): readonly SimInstrument[];
  /** Called after every model step, before frames are sent. */
  onStep(listener: (inst: SimInstrument, step: StepResult) => void): () => void;
  pause(): void;
  resume(): void;
  /** Advances `n` steps synchronously (whether paused or not). */
  step(n: number): void;
  close(): Promise<void>;
  /** Resolves when the simulator has closed (close() or durationMs). */
  readonly closed: Promise<void>;
}

type AdapterFactory = (ctx: VenueContext, instruments: readonly SimInstrument[]) => VenueAdapter;
const FACTORIES: Record<VenueId, AdapterFactory> = {
  binance: createBinance,
  'binance-futures': createBinanceFutures,
  coinbase: createCoinbase,
  'coinbase-advanced': createCoinbaseAdvanced,
  kraken: createKraken,
  bybit: createBybit,
  okx: createOkx,
};

const WS_PATHS: Record<VenueId, string> = {
  binance: '/ws',
  'binance-futures': '/ws',
  coinbase: '',
  'coinbase-advanced': '',
  kraken: '/v2',
  bybit: '/v5/public/spot',
  okx: '/ws/v5/public',
};

interface Counters {
  framesSent: number;
  bytesSent: number;
  framesByVenue: Map<VenueId, number>;
  slowConsumerDisconnects: number;
}

/** One client connection: the fault pipeline between the encoders and the socket. */
class ServerConn implements Conn {
  private queue: string[] = [];
  private stalledUntil = 0;
  private slowUntil = 0;
  private held: Array<{ text: string; after: number }> = [];
  private sinceCheck = 0;
  private shuttingDown = false;
  closed = false;

  constructor(
    readonly id: number,
    readonly venue: VenueId,
    readonly market: Market,
    readonly tag: string,
    private readonly ws: WebSocket,
    private readonly adapter: VenueAdapter,
    private readonly faults: FaultController,
    private readonly counters: Counters,
    private readonly maxBuffered: number,
  ) {}

  send(text: string, meta: FrameMeta): void {
    if (this.closed) return;
    const f = this.faults;
    if (meta.data && f.active) {
      const v = this.venue;
      if (f.roll('disconnect', v)) {
        this.terminate();
        return;
      }
      const shut = this.shuttingDown ? undefined : f.roll('shutdown', v);
      if (shut) this.shutdown(shut.durationMs ?? 500);
      const stall = f.roll('stall', v);
      if (stall) this.stalledUntil = Date.now() + (stall.durationMs ?? 2000);
      const slow = f.roll('slow', v);
      if (slow) this.slowUntil = Date.now() + (slow.durationMs ?? 2000);
      if (f.roll('drop', v)) return;
      if (f.roll('malformed', v)) text = f.malform(text);
      if (meta.checksum && f.roll('checksum', v)) text = FaultController.corruptChecksum(text);
      const dup = f.roll('duplicate', v) !== undefined;
      const reorder = f.roll('reorder', v);
      if (reorder) {
        this.held.push({ text, after: reorder.window ?? 2 });
        return;
      }
      this.out(text);
      if (dup) this.out(text);
      this.releaseHeld();
      return;
    }
    this.out(text);
    if (this.held.length > 0 && meta.data) this.releaseHeld();
  }

  /** Held (reordered) frames go out once `after` later frames have passed. */
  private releaseHeld(force = false): void {
    if (this.held.length === 0) return;
    const keep: Array<{ text: string; after: number }> = [];
    for (const h of this.held) {
      if (force || --h.after <= 0) this.out(h.text);
      else keep.push(h);
    }
    this.held = keep;
  }

  private out(text: string): void {
    if (this.closed) return;
    const now = this.stalledUntil > 0 || this.slowUntil > 0 ? Date.now() : 0;
    if (
      (this.stalledUntil > 0 && now < this.stalledUntil) ||
      (this.slowUntil > 0 && now < this.slowUntil) ||
      this.queue.length > 0
    ) {
      this.queue.push(text);
      return;
    }
    this.write(text);
  }

  private write(text: string): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(text);
    const c = this.counters;
    c.framesSent++;
    c.bytesSent += text.length;
    c.framesByVenue.set(this.venue, (c.framesByVenue.get(this.venue) ?? 0) + 1);
    if (++this.sinceCheck >= 64) {
      this.sinceCheck = 0;
      if (this.ws.bufferedAmount > this.maxBuffered) {
        c.slowConsumerDisconnects++;
        this.terminate();
      }
    }
  }

  /** Timer hook (every few ms): ends stalls, trickles slow delivery, releases stale reordered frames. */
  pump(): void {
    if (this.closed) return;
    if (this.held.length > 0 && this.queue.length === 0) this.releaseHeld(true);
    if (this.queue.length === 0) return;
    const now = Date.now();
    if (now < this.stalledUntil) return;
    this.stalledUntil = 0;
    if (now < this.slowUntil) {
      // Slow delivery: a trickle of frames per pump while the backlog grows.
      for (let i = 0; i < 2 && this.queue.length > 0; i++) this.write(this.queue.shift()!);
      return;
    }
    this.slowUntil = 0;
    const q = this.queue;
    this.queue = [];
    for (const t of q) this.write(t);
  }

  private shutdown(delayMs: number): void {
    this.shuttingDown = true;
    const notice = this.adapter.shutdownNotice(this);
    if (notice !== null) this.write(notice);
    const timer = setTimeout(() => this.close(1001, 'server shutdown'), delayMs);
    timer.unref();
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.ws.close(code, reason);
    // A peer that never answers the close handshake is cut off.
    const t = setTimeout(() => this.ws.terminate(), 1000);
    t.unref();
  }

  /** Batches this tick's frames into one socket write (ws writes each frame separately). */
  cork(): void {
    this.socket()?.cork();
  }

  uncork(): void {
    this.socket()?.uncork();
  }

  private socket(): { cork(): void; uncork(): void } | undefined {
    return (this.ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
  }

  ping(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.ping();
  }

  terminate(): void {
    this.closed = true;
    this.ws.terminate();
  }
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const venues = [...(opts.venues ?? VENUES)];
  for (const v of venues) if (!isVenueId(v)) throw new Error(`unknown venue '${String(v)}'`);
  const symbols = (opts.symbols ?? ['BTC-USDT', 'ETH-USDT']).map(parseCanonical);
  if (symbols.length === 0) throw new Error('no symbols');
  const rate = opts.rate ?? 1000;
  if (!Number.isFinite(rate) || rate < 0 || rate > MAX_RATE)
    throw new Error(`rate must be in [0, ${MAX_RATE}] frames/s`);
  const seed = (opts.seed ?? 1) >>> 0;
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('port must be in [0, 65535]');
  if (opts.durationMs !== undefined && (!(opts.durationMs > 0) || opts.durationMs > MAX_DURATION_MS)) {
    throw new Error(`duration must be in (0, ${MAX_DURATION_MS}] ms`);
  }
  const virtual = opts.clock === 'virtual';
  const startUs = (opts.startTimeMs ?? 1_767_225_600_000) * 1000;
  const wallUs = (): number => Math.floor((performance.timeOrigin + performance.now()) * 1000);

  let globalStep = 0;
  let stepTs = virtual ? startUs : wallUs();
  const ctx: VenueContext = {
    nowUs: () => (virtual ? stepTs : wallUs()),
    okxChecksum: opts.okxChecksum ?? 'legacy',
  };

  const adapters = new Map<VenueId, VenueAdapter>();
  const books: Array<{ inst: SimInstrument; adapter: VenueAdapter }> = [];
  for (const venue of venues) {
    const insts: SimInstrument[] = symbolsForVenue(venue, symbols).map((s) => {
      const spec = specFor(venue, s);
      const model = new SymbolModel(spec, new Rng(hashSeed(seed, `${venue}|${s.canonical}`)), {
        volatility: opts.volatility ?? 1,
      });
      return { venue, market: s.market, spec, venueSymbol: venueSymbol(venue, s), model };
    });
    const adapter = FACTORIES[venue](ctx, insts);
    adapters.set(venue, adapter);
    for (const inst of insts) books.push({ inst, adapter });
  }

  const faults = new FaultController(hashSeed(seed, 'faults'));
  for (const f of opts.faults ?? []) faults.inject(f);
  const counters: Counters = { framesSent: 0, bytesSent: 0, framesByVenue: new Map(), slowConsumerDisconnects: 0 };
  const conns = new Set<ServerConn>();
  const sockets = new Set<Duplex>();
  let connectionsTotal = 0;
  let restRequests = 0;
  let lagSteps = 0;
  const listeners = new Set<(inst: SimInstrument, step: StepResult) => void>();
  const maxBuffered = opts.maxBufferedBytes ?? 64 * 1024 * 1024;
  const started = Date.now();

  function advance(n: number): void {
    for (let i = 0; i < n; i++) {
      const b = books[globalStep % books.length]!;
      stepTs = virtual ? startUs + Math.floor((globalStep * 1e6) / Math.max(rate, 1)) : wallUs();
      globalStep++;
      const step = b.inst.model.step(stepTs);
      for (const l of listeners) l(b.inst, step);
      b.adapter.onStep(b.inst, step);
    }
  }

  // ---- HTTP: REST per venue and the control API.
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 1 << 20 });
  const server = createServer((req, res) => {
    handleHttp(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, JSON.stringify({ error: err instanceof Error ? err.message : String(err) }));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      ...headers,
    });
    res.end(body);
  }

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      const b = chunk as Buffer;
      size += b.length;
      if (size > 1 << 20) throw new Error('body too large');
      chunks.push(b);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    if (path.startsWith('/control/')) return control(req, res, path.slice(9));
    const slash = path.indexOf('/', 1);
    const venue = path.slice(1, slash < 0 ? undefined : slash);
    const adapter = isVenueId(venue) ? adapters.get(venue) : undefined;
    if (!adapter || req.method !== 'GET') return send(res, 404, JSON.stringify({ error: 'not found' }));
    restRequests++;
    let reply: RestReply | null;
    if (faults.active && faults.roll('rest500', adapter.venue)) reply = adapter.restError(500);
    else if (faults.active && faults.roll('rest429', adapter.venue)) reply = adapter.restError(429);
    else reply = adapter.rest(slash < 0 ? '' : path.slice(slash), url.searchParams);
    if (!reply) return send(res, 404, JSON.stringify({ error: 'not found' }));
    send(res, reply.status, reply.body, reply.headers);
  }

  async function control(req: IncomingMessage, res: ServerResponse, what: string): Promise<void> {
    if (what === 'stats' && req.method === 'GET') return send(res, 200, JSON.stringify(stats()));
    if (what === 'faults') {
      if (req.method === 'GET') return send(res, 200, JSON.stringify(faults.list()));
      if (req.method === 'DELETE') {
        const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id');
        faults.clear(id === null ? undefined : Number(id));
        return send(res, 200, JSON.stringify({ ok: true }));
      }
      if (req.method === 'POST') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(await readBody(req));
        } catch {
          return send(res, 400, JSON.stringify({ error: 'body must be JSON' }));
        }
        try {
          const specs = (Array.isArray(parsed) ? parsed : [parsed]).map(parseFaultSpec);
          return send(res, 200, JSON.stringify({ ids: specs.map((s) => faults.inject(s)) }));
        } catch (err) {
          return send(res, 400, JSON.stringify({ error: err instanceof Error ? err.message : String(err) }));
        }
      }
    }
    if ((what === 'pause' || what === 'resume') && req.method === 'POST') {
      if (what === 'pause') api.pause();
      else api.resume();
      return send(res, 200, JSON.stringify({ ok: true }));
    }
    return send(res, 404, JSON.stringify({ error: 'not found' }));
  }

  // ---- WebSocket upgrades.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const slash = path.indexOf('/', 1);
    const venue = path.slice(1, slash < 0 ? undefined : slash);
    const adapter = isVenueId(venue) ? adapters.get(venue) : undefined;
    // The market comes from the path (Bybit spot vs linear).
    const market = adapter?.wsMarket(slash < 0 ? '' : path.slice(slash)) ?? null;
    if (!adapter || market === null) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const id = ++connectionsTotal;
      const tag =
        venue === 'okx'
          ? new Rng(hashSeed(seed, `conn${id}`)).hex8()
          : `${new Rng(hashSeed(seed, `conn${id}`)).hex8()}${new Rng(hashSeed(seed, `conn${id}b`)).hex8()}-${id}`;
      const conn = new ServerConn(id, adapter.venue, market, tag, ws, adapter, faults, counters, maxBuffered);
      conns.add(conn);
      ws.on('message', (data: RawData, isBinary: boolean) => {
        if (isBinary) return;
        const text = Array.isArray(data)
          ? Buffer.concat(data).toString('utf8')
          : Buffer.from(data as ArrayBuffer).toString('utf8');
        try {
          adapter.onMessage(conn, text);
        } catch {
          // An encoder bug must not take the server down; the client just gets no reply.
        }
      });
      ws.on('close', () => {
        conn.closed = true;
        conns.delete(conn);
        adapter.onClose(conn);
      });
      ws.on('error', () => undefined);
      adapter.onOpen(conn, url);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const boundPort = (server.address() as AddressInfo).port;

  // ---- Timers: model scheduler, fault pump, once-a-second heartbeats.
  let paused = opts.paused === true;
  let baseTime = performance.now();
  let stepsSinceBase = 0;
  const TICK_MS = 2;
  /** Work per timer tick is bounded in time so sockets and timers keep being served. */
  const BUDGET_MS = 12;
  const maxBacklog = Math.max(1, Math.ceil(rate * 0.05));
  const scheduler = setInterval(() => {
    if (!paused && rate > 0) {
      const due = Math.floor(((performance.now() - baseTime) * rate) / 1000) - stepsSinceBase;
      if (due > 0) {
        for (const c of conns) c.cork();
        const deadline = performance.now() + BUDGET_MS;
        let done = 0;
        while (done < due && performance.now() < deadline) {
          const n = Math.min(256, due - done);
          advance(n);
          done += n;
        }
        for (const c of conns) c.uncork();
        stepsSinceBase += done;
        if (due - done > maxBacklog) {
          // More than 50 ms of work behind: skip ahead instead of spiralling.
          lagSteps += due - done;
          baseTime = performance.now();
          stepsSinceBase = 0;
        }
      }
    }
    for (const c of conns) c.pump();
  }, TICK_MS);
  let secondCount = 0;
  const heartbeat = setInterval(() => {
    secondCount++;
    for (const a of adapters.values()) a.onSecond();
    if (secondCount % 20 === 0) {
      // Binance pings every 20 s; ws answers client pings by itself.
      for (const c of conns) if (c.venue === 'binance' || c.venue === 'binance-futures') c.ping();
    }
  }, 1000);

  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((r) => {
    resolveClosed = r;
  });
  let closing: Promise<void> | undefined;
  let durationTimer: NodeJS.Timeout | undefined;

  function stats(): SimulatorStats {
    const byVenue: Partial<Record<VenueId, FaultCounts>> = {};
    for (const [v, c] of faults.byVenue) byVenue[v] = { ...c };
    return {
      uptimeMs: Date.now() - started,
      modelSteps: globalStep,
      lagSteps,
      framesSent: counters.framesSent,
      bytesSent: counters.bytesSent,
      framesByVenue: Object.fromEntries(counters.framesByVenue) as Partial<Record<VenueId, number>>,
      connectionsOpen: conns.size,
      connectionsTotal,
      slowConsumerDisconnects: counters.slowConsumerDisconnects,
      restRequests,
      faults: { ...faults.counts },
      faultsByVenue: byVenue,
    };
  }

  const urls: Partial<Record<VenueId, VenueUrls>> = {};
  for (const v of venues) {
    const base = `127.0.0.1:${boundPort}/${v}`;
    urls[v] = { ws: `ws://${base}${WS_PATHS[v]}`, rest: `http://${base}` };
    if (v === 'bybit') urls[v]!.wsPerp = `ws://${base}/v5/public/linear`;
    if (v === 'binance-futures') {
      urls[v]!.wsPublic = `ws://${base}/public/ws`;
      urls[v]!.wsMarket = `ws://${base}/market/ws`;
    }
  }

  const api: Simulator = {
    port: boundPort,
    urls,
    faults: {
      inject: (spec) => faults.inject(spec),
      clear: (id) => faults.clear(id),
      list: () => faults.list(),
    },
    stats,
    instruments: (venue) => adapters.get(venue)?.instruments ?? [],
    onStep(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    pause() {
      paused = true;
    },
    resume() {
      if (!paused) return;
      paused = false;
      baseTime = performance.now();
      stepsSinceBase = 0;
    },
    step(n) {
      advance(n);
    },
    close() {
      closing ??= (async () => {
        clearInterval(scheduler);
        clearInterval(heartbeat);
        if (durationTimer) clearTimeout(durationTimer);
        for (const c of conns) c.terminate();
        for (const ws of wss.clients) ws.terminate();
        await new Promise<void>((r) => wss.close(() => r()));
        await new Promise<void>((r) => {
          server.close(() => r());
          for (const s of sockets) s.destroy();
        });
        resolveClosed();
      })();
      return closing;
    },
    closed,
  };
  if (opts.durationMs !== undefined) {
    durationTimer = setTimeout(() => void api.close(), opts.durationMs);
  }
  return api;
}
