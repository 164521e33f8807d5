// Runs the product from a validated config until SIGINT/SIGTERM: checks what
// must be there before starting anything (the metrics port, the brokers), then
// the optional in-process simulator, the pipeline, the observability server,
// the `md.metrics` publisher and the live view. Whatever fails at start is
// reported in one line and everything started so far is stopped.
import type { Writable } from 'node:stream';
import pino, { type Logger as PinoLogger } from 'pino';
import { probe } from '../kafka/broker';
import { startSimulator, type Simulator } from '../simulator/server';
import { simulatorVenueUrls } from '../venues/manager';
import type { VenueId } from '../events';
import { redactConfig, shardVenues, type RunConfig } from './config';
import { startObservabilityServer, type ObservabilityServer } from './http';
import { createMetrics, flatMetrics } from './metrics';
import { Pipeline, type PipelineOptions } from './pipeline';
import { LiveView } from './view';
import { kafkaSource } from '../capture/kafka-source';

export interface RunOptions {
  /** Where the live view is drawn (default stdout); `viewIntervalMs` 0 = no view. */
  viewOut?: Writable;
  /** Where signals go with `sink.output: stdout` (default stdout). */
  signalsOut?: Writable;
  log?: PinoLogger;
  /** Resolves when the run should stop (default: the first SIGINT/SIGTERM). */
  until?: Promise<unknown>;
  /** Frame source other than the venue connectors (see Pipeline). */
  source?: PipelineOptions['source'];
  /** Told once everything is up (tests, `npm start`'s banner). */
  onStarted?: (info: StartedInfo) => void;
}

export interface StartedInfo {
  pipeline: Pipeline;
  metricsUrl: string | undefined;
  simulatorPort: number | undefined;
}

/** Refuses to start against brokers that do not answer, naming them. */
export async function checkBrokers(config: RunConfig, log: PinoLogger): Promise<void> {
  const s = config.sink;
  if (s.output !== 'kafka') return;
  if (s.ssl || s.sasl !== undefined) {
    log.info('TLS/SASL brokers: reachability is checked by the producer at its first connection');
    return;
  }
  const results = await Promise.all(
    s.brokers.map(async (b) => {
      const i = b.lastIndexOf(':');
      return { broker: b, state: await probe(b.slice(0, i).replace(/^\[|\]$/g, ''), Number(b.slice(i + 1)), 5000) };
    }),
  );
  if (results.some((r) => r.state === 'kafka')) return;
  const detail = results.map(
    (r) => `${r.broker} (${r.state === 'closed' ? 'connection refused' : 'not a Kafka broker'})`,
  );
  throw new Error(
    `no Kafka broker answers at ${detail.join(', ')}: start one with \`tickwire kafka start\`, ` +
      'set sink.brokers / KAFKA_BROKERS, or use sink.output: stdout',
  );
}

/** The venues pointed at an in-process simulator serving exactly them. */
function simulatedVenues(config: RunConfig, port: number): RunConfig['venues'] {
  const prefix = `http://127.0.0.1:${port}`;
  const out: RunConfig['venues'] = {};
  for (const [name, vc] of Object.entries(config.venues)) {
    if (vc) out[name as VenueId] = { ...vc, ...simulatorVenueUrls(prefix, name as VenueId) };
  }
  return out;
}

export async function runPipeline(config: RunConfig, opts: RunOptions = {}): Promise<number> {
  const log = opts.log ?? pino({ level: config.observability.logLevel }, pino.destination(2));
  const cleanup: Array<() => Promise<void> | void> = [];
  const closeAll = async (): Promise<void> => {
    for (const fn of cleanup.reverse()) {
      try {
        await fn();
      } catch (e) {
        log.error({ err: e }, 'error while shutting down');
      }
    }
    cleanup.length = 0;
  };

  let forced = false;
  let stopping = false;
  let requested: (why: string) => void = () => undefined;
  const stopRequested = new Promise<string>((resolve) => (requested = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    if (forced) return;
    if (stopping) {
      forced = true;
      log.error({ signal }, 'second signal: exiting without a clean shutdown');
      process.exit(130);
    }
    requested(signal);
  };
  if (opts.until === undefined) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    cleanup.push(() => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    });
  }

  log.info({ config: redactConfig(config) }, 'starting');
  let pipeline: Pipeline;
  let view: LiveView | undefined;
  let server: ObservabilityServer | undefined;
  let sim: Simulator | undefined;
  try {
    await checkBrokers(config, log);
    let effective = config;
    if (config.simulator.enabled) {
      const owned = shardVenues(config);
      sim = await startSimulator({
        venues: Object.keys(owned) as VenueId[],
        symbols: [...new Set(Object.values(owned).flatMap((v) => v?.symbols ?? []))],
        rate: config.simulator.rate,
        seed: config.simulator.seed,
        port: config.simulator.port,
      });
      const s = sim;
      cleanup.push(() => s.close());
      effective = { ...config, venues: simulatedVenues(config, sim.port) };
      log.info({ port: sim.port }, 'simulator started on 127.0.0.1');
    }
    const onSignalRecord =
      config.observability.viewIntervalMs > 0
        ? (s: Parameters<LiveView['signals']['add']>[0]) => view?.signals.add(s)
        : undefined;
    pipeline = new Pipeline({
      config: effective,
      log,
      ...(opts.signalsOut !== undefined ? { stdout: opts.signalsOut } : {}),
      ...(onSignalRecord !== undefined ? { onSignal: onSignalRecord } : {}),
      ...(opts.source !== undefined ? { source: opts.source } : {}),
      // `source: { type: kafka }`: frames from `tickwire capture`'s raw topics (docs/capture.md).
      ...(opts.source === undefined && config.source.type === 'kafka'
        ? {
            source: kafkaSource({
              source: config.source,
              clientId: `${config.sink.clientId}-source`,
              ...(config.sink.ssl ? { ssl: true } : {}),
              ...(config.sink.sasl !== undefined ? { sasl: config.sink.sasl } : {}),
            }),
          }
        : {}),
    });
    const p = pipeline;
    cleanup.push(() => p.stop());
    if (opts.until === undefined) {
      // SIGUSR2: the latency histograms start afresh (how a benchmark leaves its warm-up out).
      const onReset = (): void => {
        p.resetLatency();
        log.info('latency histograms reset (SIGUSR2)');
      };
      process.on('SIGUSR2', onReset);
      cleanup.push(() => {
        process.off('SIGUSR2', onReset);
      });
    }
    const registry = createMetrics(pipeline);
    if (config.observability.port >= 0) {
      server = await startObservabilityServer(registry, pipeline, config.observability.host, config.observability.port);
      const s = server;
      cleanup.push(() => s.close());
      log.info({ url: server.url }, 'metrics on /metrics, health on /healthz and /readyz');
    }
    if (config.observability.metricsIntervalMs > 0 && pipeline.sink !== undefined) {
      const sink = pipeline.sink;
      const source = `tickwire-${config.shard.index}-of-${config.shard.count}`;
      const timer = setInterval(() => {
        void flatMetrics(registry).then((values) => {
          if (!stopping) sink.publish('metrics', { ts: Date.now() * 1000, source, values });
        });
      }, config.observability.metricsIntervalMs);
      cleanup.push(() => clearInterval(timer));
    }
    if (config.observability.viewIntervalMs > 0) {
      view = new LiveView(pipeline);
      const v = view;
      const out = opts.viewOut ?? process.stdout;
      const tty = (out as NodeJS.WriteStream).isTTY === true;
      const timer = setInterval(() => {
        out.write(tty ? `\x1b[H\x1b[2J${v.render()}\n` : `${v.render()}\n\n`);
      }, config.observability.viewIntervalMs);
      cleanup.push(() => clearInterval(timer));
    }
    await pipeline.start();
    log.info({ venues: pipeline.feeds.venues() }, 'pipeline started');
    opts.onStarted?.({ pipeline, metricsUrl: server?.url, simulatorPort: sim?.port });
  } catch (e) {
    stopping = true;
    await closeAll();
    throw e;
  }

  const why = await Promise.race([stopRequested, (opts.until ?? new Promise(() => undefined)).then(() => 'done')]);
  stopping = true;
  log.info({ why }, 'shutting down: closing feeds, draining the engine, flushing Kafka');
  const t0 = Date.now();
  await closeAll();
  log.info({ ms: Date.now() - t0, counters: pipeline.counters }, 'stopped');
  return 0;
}
