// The pipeline's entry point for signals: one decoded SignalRecord (from the
// native engine's SignalDecoder or the TS reference) → its `signal.<kind>`
// schema → the sink. docs/schemas.md ("Signals").
import type { SignalRecord } from '../engine/signals';
import { SIGNAL_SCHEMA_NAMES } from './signal-schemas';
import type { KafkaSink, PublishMeta } from './sink';

/**
 * Publishes one signal record to `<prefix>signals.<kind>` with the schema's
 * delivery policy. Returns what `sink.publish` returns (false: not kept, e.g.
 * the conflation map is full); throws what it throws (JournalFullError,
 * SinkClosedError). Adds no allocation of its own: the schema name comes from
 * a fixed table and the record object is encoded as is. Pass
 * `meta.recvNs` = the ring header's recvNs when there is one; by default it
 * is the record's emitTs (the same instant, at µs resolution).
 */
export function publishSignal(sink: KafkaSink, signal: SignalRecord, meta?: PublishMeta): boolean {
  const name = SIGNAL_SCHEMA_NAMES[signal.signal];
  if (name === undefined) throw new TypeError(`publishSignal: unknown signal kind '${String(signal.signal)}'`);
  return sink.publish(name, signal, meta);
}
