// A real single-node Apache Kafka broker (KRaft, broker+controller) for local
// development and tests, run from the pinned Maven Central jars resolved by
// kafka/pom.xml. See docs/kafka.md.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect, type Socket } from 'node:net';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';

/** Keep in sync with <kafka.version> in kafka/pom.xml. */
export const KAFKA_VERSION = '3.9.2';

export const DEFAULT_PORT = 9092;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_READY_TIMEOUT_MS = 90_000;
export const DEFAULT_STOP_TIMEOUT_MS = 30_000;

const JAVA_MISSING =
  'Java 17+ is required to run the local Kafka broker: install a JDK or point KAFKA_BROKERS at an existing cluster';
const MAVEN_MISSING =
  'Maven (mvn) is required to fetch the Kafka broker jars on first use: install Maven 3.8+ ' +
  '(e.g. apt-get install maven) or point KAFKA_BROKERS at an existing cluster';

const POM_PATH = resolve(__dirname, '..', '..', 'kafka', 'pom.xml');
const VERSION_MARKER = '.tickwire-kafka-version';
const PID_FILE = 'kafka.pid';
const LOG_FILE = 'kafka.log';

export interface BrokerOptions {
  /** PLAINTEXT listener port; the KRaft controller listens on port + 1. Default 9092. */
  port?: number;
  /** Data + log directory. Default `.tickwire/kafka` under the current directory. */
  dir?: string;
  /** Listen/advertise address. Default 127.0.0.1. */
  host?: string;
  /** Jar cache directory. Default $TICKWIRE_KAFKA_CACHE or ~/.cache/tickwire/kafka-<version>. */
  cacheDir?: string;
  /** How long `start` waits for the broker to answer. Default 90 s. */
  readyTimeoutMs?: number;
  /** How long `stop` waits after SIGTERM before SIGKILL. Default 30 s. */
  stopTimeoutMs?: number;
  /** Progress lines (e.g. "fetching jars"). Default: silent. */
  log?: (line: string) => void;
}

export interface StartResult {
  /** True when a broker already answered on the port and nothing was started. */
  alreadyRunning: boolean;
  /** Broker pid, or null when the answering broker was not started from `dir`. */
  pid: number | null;
  host: string;
  port: number;
  dir: string;
  logFile: string;
  /** Time from launching java to the broker answering (0 when already running). */
  readyMs: number;
}

export interface StopResult {
  /** True when a broker process was found and stopped. */
  stopped: boolean;
  pid: number | null;
  /** True when SIGTERM was not enough and SIGKILL was sent. */
  killed: boolean;
  message: string;
}

export interface BrokerStatus {
  /** A broker process started from `dir` is alive, or a broker answers on the port. */
  running: boolean;
  /** Pid of the broker process started from `dir`, if alive. */
  pid: number | null;
  host: string;
  port: number;
  /** A Kafka broker answers requests on host:port. */
  reachable: boolean;
  dir: string;
  logFile: string;
  /** A pid file exists but its process is gone. */
  stalePidFile: boolean;
}

interface Resolved {
  port: number;
  host: string;
  dir: string;
  cacheDir: string;
  pidFile: string;
  logFile: string;
  readyTimeoutMs: number;
  stopTimeoutMs: number;
  log: (line: string) => void;
}

function resolveOptions(opts: BrokerOptions, portFallback: number = DEFAULT_PORT): Resolved {
  const port = opts.port ?? portFallback;
  if (!Number.isInteger(port) || port < 1 || port > 65534) {
    throw new Error(`invalid Kafka port ${String(port)}: need an integer in 1..65534 (port + 1 is the controller)`);
  }
  const dir = resolve(opts.dir ?? join('.tickwire', 'kafka'));
  return {
    port,
    host: opts.host ?? DEFAULT_HOST,
    dir,
    cacheDir: resolve(opts.cacheDir ?? defaultCacheDir()),
    pidFile: join(dir, PID_FILE),
    logFile: join(dir, LOG_FILE),
    readyTimeoutMs: opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
    stopTimeoutMs: opts.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS,
    log: opts.log ?? ((): void => undefined),
  };
}

export function defaultCacheDir(): string {
  const fromEnv = process.env['TICKWIRE_KAFKA_CACHE'];
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  const xdg = process.env['XDG_CACHE_HOME'];
  const base = xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache');
  return join(base, 'tickwire', `kafka-${KAFKA_VERSION}`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function errno(e: unknown): string | undefined {
  return e instanceof Error && 'code' in e ? String((e as NodeJS.ErrnoException).code) : undefined;
}

function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n').trimEnd();
}

function logTail(file: string, lines = 40): string {
  try {
    const text = readFileSync(file, 'utf8');
    return tail(text.length > 200_000 ? text.slice(-200_000) : text, lines);
  } catch {
    return '(no broker log)';
  }
}

// ---------------------------------------------------------------- tools

/** Java command: $JAVA_HOME/bin/java when set, else `java` on PATH. */
function javaCommand(): string {
  const home = process.env['JAVA_HOME'];
  if (home !== undefined && home !== '') {
    const bin = join(home, 'bin', 'java');
    if (existsSync(bin)) return bin;
  }
  return 'java';
}

/** Checks that Java 17+ is present; returns the java command. */
export function checkJava(): string {
  const java = javaCommand();
  const r = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) throw new Error(JAVA_MISSING);
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${r.stderr}${r.stdout}`);
  if (m === null) throw new Error(JAVA_MISSING);
  const major = m[1] === '1' ? Number(m[2]) : Number(m[1]);
  if (!(major >= 17)) throw new Error(`${JAVA_MISSING} (found Java ${major})`);
  return java;
}

// ---------------------------------------------------------------- jars

/**
 * Makes sure the pinned broker jars are in `<cacheDir>/libs`, fetching them
 * with Maven on first use. Returns the libs directory.
 */
export async function ensureKafkaJars(opts: Pick<BrokerOptions, 'cacheDir' | 'log'> = {}): Promise<string> {
  const cacheDir = resolve(opts.cacheDir ?? defaultCacheDir());
  const libs = join(cacheDir, 'libs');
  const marker = join(libs, VERSION_MARKER);
  if (existsSync(marker) && readFileSync(marker, 'utf8').trim() === KAFKA_VERSION) return libs;

  const mvnCheck = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  if (mvnCheck.error !== undefined || mvnCheck.status !== 0) throw new Error(MAVEN_MISSING);
  if (!existsSync(POM_PATH)) throw new Error(`Kafka broker pom not found at ${POM_PATH}`);

  (opts.log ?? ((): void => undefined))(`fetching Kafka ${KAFKA_VERSION} broker jars into ${libs} (first use)`);
  mkdirSync(cacheDir, { recursive: true });
  const staging = join(cacheDir, `libs.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  rmSync(staging, { recursive: true, force: true });
  const out = await new Promise<{ code: number | null; output: string }>((res, rej) => {
    const child = spawn(
      'mvn',
      ['-B', '-q', '-f', POM_PATH, 'dependency:copy-dependencies', `-DoutputDirectory=${staging}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const collect = (b: Buffer): void => {
      output = (output + b.toString('utf8')).slice(-20_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (e) => rej(errno(e) === 'ENOENT' ? new Error(MAVEN_MISSING) : e));
    child.on('close', (code) => res({ code, output }));
  });
  const jars = existsSync(staging) ? readdirSync(staging).filter((f) => f.endsWith('.jar')) : [];
  if (out.code !== 0 || !jars.some((f) => f.startsWith(`kafka_2.13-${KAFKA_VERSION}`))) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(
      `fetching the Kafka ${KAFKA_VERSION} jars with Maven failed (exit ${String(out.code)}):\n${tail(out.output, 30)}`,
    );
  }
  writeFileSync(join(staging, VERSION_MARKER), `${KAFKA_VERSION}\n`);
  rmSync(libs, { recursive: true, force: true });
  try {
    renameSync(staging, libs);
  } catch (e) {
    // Another process won the race; its copy is as good as ours.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(marker)) throw e;
  }
  return libs;
}

// ---------------------------------------------------------------- probes

/** True when something accepts TCP connections on host:port. */
function tcpOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((res) => {
    const sock = connect({ host, port });
    const done = (v: boolean): void => {
      sock.destroy();
      res(v);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export type Probe = 'kafka' | 'closed' | 'other';

/** Does a Kafka broker answer (with at least one live broker in its metadata) on host:port? */
export async function probe(host: string, port: number, timeoutMs = 3000): Promise<Probe> {
  if (!(await tcpOpen(host, port))) return 'closed';
  // Own the sockets: after a timed-out request (a silent non-Kafka server)
  // kafkajs leaves its socket open, so the probe destroys them itself.
  const sockets: Socket[] = [];
  const kafka = new Kafka({
    clientId: 'tickwire-kafka-probe',
    brokers: [`${host}:${port}`],
    connectionTimeout: 1000,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
    socketFactory: ({ host: h, port: p, onConnect }) => {
      const s = connect({ host: h, port: p }, onConnect);
      sockets.push(s);
      return s;
    },
  });
  const admin = kafka.admin();
  let timer: NodeJS.Timeout | undefined;
  try {
    const work = (async (): Promise<Probe> => {
      await admin.connect();
      const c = await admin.describeCluster();
      return c.brokers.length > 0 ? 'kafka' : 'other';
    })();
    const timeout = new Promise<Probe>((res) => {
      timer = setTimeout(() => res('other'), timeoutMs + 1000);
    });
    return await Promise.race([work.catch((): Probe => 'other'), timeout]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    // Bounded: after a timed-out request kafkajs' disconnect can wait on
    // nothing that keeps the event loop alive.
    await Promise.race([admin.disconnect().catch(() => undefined), sleep(1000)]);
    for (const s of sockets) s.destroy();
  }
}

// ---------------------------------------------------------------- processes

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return errno(e) === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
  } catch {
    // no /proc: trust kill(0)
  }
  return true;
}

/** Is `pid` a Kafka broker JVM (and not an unrelated process that reused the pid)? */
function isBrokerProcess(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('kafka.Kafka');
  } catch {
    return true; // no /proc: trust the pid file
  }
}

function readPid(pidFile: string): number | null {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  // The broker leads its own process group (spawned detached).
  try {
    process.kill(-pid, sig);
    return;
  } catch {
    // fall through to the single process
  }
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

/** Port recorded in `<dir>/server.properties` by the last start, if any. */
function recordedPort(dir: string): number | undefined {
  try {
    const m = /^listeners=PLAINTEXT:\/\/[^:]+:(\d+)/m.exec(readFileSync(join(dir, 'server.properties'), 'utf8'));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- config

function serverProperties(o: Resolved, dataDir: string): string {
  const controller = o.port + 1;
  return [
    '# Written by tickwire (src/kafka/broker.ts) on every start; edits are overwritten.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${o.host}:${controller}`,
    `listeners=PLAINTEXT://${o.host}:${o.port},CONTROLLER://${o.host}:${controller}`,
    `advertised.listeners=PLAINTEXT://${o.host}:${o.port}`,
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=1',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=10',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=true',
    'delete.topic.enable=true',
    'num.network.threads=2',
    'num.io.threads=4',
    'num.recovery.threads.per.data.dir=1',
    // Modest retention: a dev broker, not an archive.
    'log.retention.hours=24',
    'log.retention.bytes=1073741824',
    'log.segment.bytes=134217728',
    'log.retention.check.interval.ms=300000',
    '',
  ].join('\n');
}

const LOG4J_PROPERTIES = [
  '# Written by tickwire: broker logs go to stdout, which start() sends to kafka.log.',
  'log4j.rootLogger=INFO, stdout',
  'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
  'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
  'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
  'log4j.logger.kafka=INFO',
  'log4j.logger.org.apache.kafka=INFO',
  'log4j.logger.kafka.request.logger=WARN',
  'log4j.logger.kafka.log.LogCleaner=WARN',
  'log4j.logger.state.change.logger=WARN',
  'log4j.logger.kafka.authorizer.logger=WARN',
  '',
].join('\n');

/** Kafka's Uuid text form: 16 random bytes, base64url without padding, not starting with '-'. */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function formatStorage(java: string, libs: string, propsFile: string, dataDir: string): void {
  if (existsSync(join(dataDir, 'meta.properties'))) return;
  const r = spawnSync(
    java,
    ['-Xmx256m', '-cp', join(libs, '*'), 'kafka.tools.StorageTool', 'format', '-t', newClusterId(), '-c', propsFile],
    { encoding: 'utf8', timeout: 120_000 },
  );
  if (r.error !== undefined || r.status !== 0) {
    throw new Error(
      `formatting KRaft storage in ${dataDir} failed (exit ${String(r.status)}):\n` +
        tail(`${r.stdout ?? ''}${r.stderr ?? ''}${r.error !== undefined ? String(r.error) : ''}`, 30),
    );
  }
}

// ---------------------------------------------------------------- API

/**
 * Starts the local broker and resolves once it answers requests. If a Kafka
 * broker already answers on the port, starts nothing and reports it.
 */
export async function startBroker(opts: BrokerOptions = {}): Promise<StartResult> {
  const o = resolveOptions(opts);
  const base = { host: o.host, port: o.port, dir: o.dir, logFile: o.logFile };
  const ownPid = readPid(o.pidFile);
  const ownAlive = ownPid !== null && isBrokerProcess(ownPid);

  const state = await probe(o.host, o.port);
  if (state === 'kafka') {
    return { ...base, alreadyRunning: true, pid: ownAlive ? ownPid : null, readyMs: 0 };
  }
  if (ownAlive) {
    throw new Error(
      `a Kafka broker from ${o.dir} is running (pid ${ownPid}) but does not answer on ${o.host}:${o.port}: ` +
        `it may still be starting or use another port; see ${o.logFile}, or run \`tickwire kafka stop --dir ${o.dir}\``,
    );
  }
  if (state === 'other') {
    throw new Error(`port ${o.port} on ${o.host} is in use by something that is not Kafka: pick another with --port`);
  }
  if (await tcpOpen(o.host, o.port + 1)) {
    throw new Error(`controller port ${o.port + 1} on ${o.host} (port + 1) is already in use: pick another --port`);
  }

  const java = checkJava();
  const libs = await ensureKafkaJars({ cacheDir: o.cacheDir, log: o.log });

  const dataDir = join(o.dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const propsFile = join(o.dir, 'server.properties');
  const log4jFile = join(o.dir, 'log4j.properties');
  writeFileSync(propsFile, serverProperties(o, dataDir));
  writeFileSync(log4jFile, LOG4J_PROPERTIES);
  formatStorage(java, libs, propsFile, dataDir);

  const fd = openSync(o.logFile, 'a');
  let child: ChildProcess;
  const launchedAt = Date.now();
  try {
    writeFileSync(
      fd,
      `\n==== tickwire: starting Kafka ${KAFKA_VERSION} on ${o.host}:${o.port} at ${new Date().toISOString()}\n`,
    );
    child = spawn(
      java,
      [
        '-Xms256m',
        '-Xmx768m',
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-XX:+ExitOnOutOfMemoryError',
        '-Djava.awt.headless=true',
        `-Dlog4j.configuration=file:${log4jFile}`,
        `-Dkafka.logs.dir=${o.dir}`,
        '-cp',
        join(libs, '*'),
        'kafka.Kafka',
        propsFile,
      ],
      { detached: true, stdio: ['ignore', fd, fd], cwd: o.dir },
    );
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) {
    await new Promise((r) => setImmediate(r));
    throw new Error(`could not launch ${java} for the Kafka broker`);
  }
  const exit: { why: string | null } = { why: null };
  child.on('exit', (code, sig) => {
    exit.why = sig !== null ? `signal ${sig}` : `exit code ${String(code)}`;
  });
  child.on('error', (e) => {
    exit.why = String(e);
  });
  child.unref();
  writeFileSync(o.pidFile, `${pid}\n`);

  const deadline = launchedAt + o.readyTimeoutMs;
  for (;;) {
    if (exit.why !== null || !isAlive(pid)) {
      rmSync(o.pidFile, { force: true });
      throw new Error(
        `the Kafka broker exited during startup (${exit.why ?? 'gone'}); last lines of ${o.logFile}:\n${logTail(o.logFile)}`,
      );
    }
    if ((await probe(o.host, o.port, 2000)) === 'kafka') {
      return { ...base, alreadyRunning: false, pid, readyMs: Date.now() - launchedAt };
    }
    if (Date.now() >= deadline) {
      signal(pid, 'SIGKILL');
      await waitForExit(pid, 5000);
      rmSync(o.pidFile, { force: true });
      throw new Error(
        `the Kafka broker did not answer on ${o.host}:${o.port} within ${Math.round(o.readyTimeoutMs / 1000)} s ` +
          `and was killed; last lines of ${o.logFile}:\n${logTail(o.logFile)}`,
      );
    }
    await sleep(500);
  }
}

/** Stops the broker started from `dir`: SIGTERM, wait (bounded), then SIGKILL. */
export async function stopBroker(opts: BrokerOptions = {}): Promise<StopResult> {
  const o = resolveOptions(opts);
  const pid = readPid(o.pidFile);
  if (pid === null || !isBrokerProcess(pid)) {
    rmSync(o.pidFile, { force: true });
    return {
      stopped: false,
      pid: null,
      killed: false,
      message:
        pid === null ? `no broker running from ${o.dir}` : `no broker running from ${o.dir} (removed stale pid file)`,
    };
  }
  signal(pid, 'SIGTERM');
  let killed = false;
  if (!(await waitForExit(pid, o.stopTimeoutMs))) {
    killed = true;
    signal(pid, 'SIGKILL');
    if (!(await waitForExit(pid, 10_000))) {
      throw new Error(`the Kafka broker (pid ${pid}) survived SIGKILL`);
    }
  }
  rmSync(o.pidFile, { force: true });
  return {
    stopped: true,
    pid,
    killed,
    message: killed
      ? `broker (pid ${pid}) did not stop within ${o.stopTimeoutMs} ms and was killed`
      : `stopped broker (pid ${pid})`,
  };
}

/**
 * Reports on the broker started from `dir` and on whatever answers on the
 * port. Without an explicit port, uses the port of the last start from `dir`.
 */
export async function brokerStatus(opts: BrokerOptions = {}): Promise<BrokerStatus> {
  const dir = resolve(opts.dir ?? join('.tickwire', 'kafka'));
  const o = resolveOptions(opts, recordedPort(dir) ?? DEFAULT_PORT);
  const filePid = readPid(o.pidFile);
  const alive = filePid !== null && isBrokerProcess(filePid);
  const reachable = (await probe(o.host, o.port)) === 'kafka';
  return {
    running: alive || reachable,
    pid: alive ? filePid : null,
    host: o.host,
    port: o.port,
    reachable,
    dir: o.dir,
    logFile: o.logFile,
    stalePidFile: filePid !== null && !alive,
  };
}
