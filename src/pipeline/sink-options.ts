// The Kafka sink's options from the `sink:` section of a run config: one
// mapping for every process that publishes (the pipeline, `tickwire capture`).
import type { Logger as PinoLogger } from 'pino';
import type { SinkOptions } from '../sink/sink';
import type { RunConfig } from './config';

export function sinkOptionsFrom(s: RunConfig['sink'], log: PinoLogger): SinkOptions {
  return {
    brokers: s.brokers,
    clientId: s.clientId,
    prefix: s.prefix,
    encoding: s.encoding,
    ticks: s.ticks,
    acks: s.acks,
    idempotent: s.idempotent,
    compression: s.compression,
    batch: s.batch,
    memory: s.memory,
    journal: s.journal,
    topics: s.topics,
    policies: s.policies,
    ...(s.ssl ? { ssl: true } : {}),
    ...(s.sasl !== undefined ? { sasl: s.sasl as NonNullable<SinkOptions['sasl']> } : {}),
    logger: { info: (m) => log.info(m), warn: (m) => log.warn(m), error: (m) => log.error(m) },
  };
}
