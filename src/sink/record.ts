// One record on its way to Kafka, and its journal serialization.
import type { JournalPosition } from './journal';
import type { DeliveryPolicy } from './schemas';

export interface OutRecord {
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  schema: string;
  policy: DeliveryPolicy;
  /** Kafka message timestamp (ms since epoch, the handoff time). */
  timestampMs: number;
  /** Approximate bytes held in memory. */
  size: number;
  /** process.hrtime.bigint() at publish (for handoff→ack latency); 0n for records from a previous run. */
  handoff: bigint;
  /** Set when the record came back from the journal: commit it once delivered. */
  jpos?: JournalPosition;
}

const FORMAT = 1;
const POLICIES: readonly DeliveryPolicy[] = ['never-drop', 'conflate', 'drop'];

function strLen(s: string): number {
  return 2 + Buffer.byteLength(s, 'utf8');
}

/** Journal payload: u8 format, u8 policy, f64 timestampMs, str16 topic/key/schema, u8 n, n × (str16, str16), u32 + value. */
export function serializeRecord(r: OutRecord): Buffer {
  const headers = Object.entries(r.headers);
  let size = 1 + 1 + 8 + strLen(r.topic) + strLen(r.key) + strLen(r.schema) + 1 + 4 + r.value.length;
  for (const [k, v] of headers) size += strLen(k) + strLen(v);
  const b = Buffer.allocUnsafe(size);
  let o = 0;
  b[o++] = FORMAT;
  b[o++] = POLICIES.indexOf(r.policy);
  o = b.writeDoubleLE(r.timestampMs, o);
  const str = (s: string): void => {
    const n = b.write(s, o + 2, 'utf8');
    b.writeUInt16LE(n, o);
    o += 2 + n;
  };
  str(r.topic);
  str(r.key);
  str(r.schema);
  b[o++] = headers.length;
  for (const [k, v] of headers) {
    str(k);
    str(v);
  }
  o = b.writeUInt32LE(r.value.length, o);
  r.value.copy(b, o);
  return b;
}

export function deserializeRecord(b: Buffer, jpos?: JournalPosition): OutRecord {
  let o = 0;
  const format = b[o++];
  if (format !== FORMAT) throw new Error(`journal record format ${String(format)} is not supported`);
  const policy = POLICIES[b[o++] as number] ?? 'never-drop';
  const timestampMs = b.readDoubleLE(o);
  o += 8;
  const str = (): string => {
    const n = b.readUInt16LE(o);
    const s = b.toString('utf8', o + 2, o + 2 + n);
    o += 2 + n;
    return s;
  };
  const topic = str();
  const key = str();
  const schema = str();
  const n = b[o++] as number;
  const headers: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const k = str();
    headers[k] = str();
  }
  const len = b.readUInt32LE(o);
  o += 4;
  const value = b.subarray(o, o + len);
  const r: OutRecord = { topic, key, value, headers, schema, policy, timestampMs, size: b.length + 64, handoff: 0n };
  if (jpos !== undefined) r.jpos = jpos;
  return r;
}
