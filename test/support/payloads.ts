// Self-checking payloads for ring tests: each carries its sequence number,
// its length and a hash of its body, so a reader can detect loss, reordering
// and torn or overwritten records without keeping a copy of what was sent.

/** Deterministic length for record `seq`: covers every 8-byte alignment. */
export function payloadLength(seq: number, maxLength: number): number {
  const x = Math.imul(seq ^ (seq >>> 7), 0x9e3779b1) >>> 0;
  return 12 + (x % (maxLength - 11));
}

function fnv1a(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/** Fills `out[0..length)` with record `seq`'s payload and returns it as a view. */
export function fillPayload(seq: number, length: number, out: Uint8Array): Uint8Array {
  const view = new DataView(out.buffer, out.byteOffset, length);
  view.setUint32(0, seq, true);
  view.setUint32(4, length, true);
  let x = (seq * 2654435761) >>> 0 || 1;
  for (let i = 8; i < length - 4; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  view.setUint32(length - 4, fnv1a(out, 0, length - 4), true);
  return out.subarray(0, length);
}

/** Returns the sequence number a payload claims, or throws if it is damaged. */
export function checkPayload(data: Uint8Array, offset: number, length: number): number {
  const view = new DataView(data.buffer, data.byteOffset + offset, length);
  if (length < 12) throw new Error(`payload of ${length} bytes is too short`);
  const seq = view.getUint32(0, true);
  if (view.getUint32(4, true) !== length) throw new Error(`record ${seq}: length field disagrees with record length`);
  const expected = view.getUint32(length - 4, true);
  if (fnv1a(data, offset, offset + length - 4) !== expected) throw new Error(`record ${seq}: payload hash mismatch`);
  return seq;
}
