// Starts a real Kafka broker (pinned Maven Central jars, KRaft) on a free
// port in a temp dir, round-trips messages with kafkajs and stops it.
// Needs Java 17+ and Maven (first run fetches the jars, ~50 MB).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { brokerStatus, startBroker, stopBroker } from '../../src/kafka/broker';

const HOST = '127.0.0.1';

function listenOn(port: number): Promise<ReturnType<typeof createServer> | null> {
  return new Promise((res) => {
    const srv = createServer();
    srv.once('error', () => res(null));
    srv.listen(port, HOST, () => res(srv));
  });
}

function close(srv: ReturnType<typeof createServer>): Promise<void> {
  return new Promise((res) => srv.close(() => res()));
}

/** A port p with p and p + 1 both free (the controller listens on p + 1). */
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const a = await listenOn(0);
    if (a === null) continue;
    const addr = a.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    await close(a);
    if (port === 0 || port >= 65535) continue;
    const b = await listenOn(port + 1);
    if (b === null) continue;
    await close(b);
    return port;
  }
  throw new Error('no free port pair');
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect({ host: HOST, port });
    s.setTimeout(1000, () => {
      s.destroy();
      res(false);
    });
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

/** Is pid still there after up to 3 s? (The broker is our child here, so it can linger briefly as a zombie.) */
async function stillAlive(pid: number): Promise<boolean> {
  for (let i = 0; i < 30; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return false;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

const dir = mkdtempSync(join(tmpdir(), 'tickwire-kafka-test-'));
let port = 0;

before(async () => {
  port = await freePortPair();
});

after(async () => {
  await stopBroker({ dir }).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

test('refuses a port held by something that is not Kafka', { timeout: 30_000 }, async () => {
  const blocker = await freePortPair();
  const srv = await listenOn(blocker);
  assert.ok(srv !== null);
  // Accept, read and say nothing, like an unrelated service.
  srv.on('connection', (s) => {
    s.on('error', () => undefined);
    s.resume();
  });
  try {
    await assert.rejects(
      startBroker({ port: blocker, dir: join(dir, 'blocked') }),
      /in use by something that is not Kafka/,
    );
  } finally {
    await close(srv);
  }
});

test('start, idempotent produce, group consume, second start is a no-op, stop', { timeout: 300_000 }, async () => {
  const started = await startBroker({ port, dir });
  assert.equal(started.alreadyRunning, false);
  assert.ok(started.pid !== null && started.pid > 0);
  const pid = started.pid;
  assert.ok(existsSync(join(dir, 'kafka.pid')));

  const st = await brokerStatus({ port, dir });
  assert.equal(st.running, true);
  assert.equal(st.reachable, true);
  assert.equal(st.pid, pid);
  assert.equal(st.port, port);

  const kafka = new Kafka({
    clientId: 'tickwire-broker-test',
    brokers: [`${HOST}:${port}`],
    logLevel: logLevel.NOTHING,
  });
  const topic = `tickwire-test-${Date.now()}`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }

  const N = 500;
  const sent = Array.from({ length: N }, (_, i) => ({ key: `k${i % 7}`, value: `tick-${i}-${'x'.repeat(i % 13)}` }));
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    // Several batches so the idempotent sequence numbers advance.
    for (let i = 0; i < N; i += 100) {
      await producer.send({ topic, acks: -1, messages: sent.slice(i, i + 100) });
    }
  } finally {
    await producer.disconnect();
  }

  const consumer = kafka.consumer({ groupId: `${topic}-group`, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  const got: { key: string; value: string; offset: string }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolveAll, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${got.length}/${N} within 60 s`)), 60_000);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            got.push({
              key: message.key?.toString('utf8') ?? '',
              value: message.value?.toString('utf8') ?? '',
              offset: message.offset,
            });
            if (got.length === N) {
              clearTimeout(timer);
              resolveAll();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  assert.deepEqual(
    got.map(({ key, value }) => ({ key, value })),
    sent,
  );
  assert.deepEqual(
    got.map((m) => m.offset),
    sent.map((_, i) => String(i)),
  );

  const again = await startBroker({ port, dir });
  assert.equal(again.alreadyRunning, true);
  assert.equal(again.pid, pid);

  const stopped = await stopBroker({ dir });
  assert.equal(stopped.stopped, true);
  assert.equal(stopped.pid, pid);
  assert.equal(await stillAlive(pid), false);
  assert.equal(existsSync(join(dir, 'kafka.pid')), false);
  assert.equal(await portOpen(port), false);
  assert.equal(await portOpen(port + 1), false);

  const after = await brokerStatus({ port, dir });
  assert.equal(after.running, false);
  assert.equal(after.reachable, false);
  assert.equal(after.pid, null);

  const again2 = await stopBroker({ dir });
  assert.equal(again2.stopped, false);
});
