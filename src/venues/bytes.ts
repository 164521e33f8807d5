// Byte-level helpers for the few places that look inside a frame without
// parsing it: control-frame prefixes (every frame, first bytes only), and the
// id / sequence search used during make-before-break overlaps and right after
// a reconnect (docs/connectors.md, "What is parsed, when").

export function ascii(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** `buf` begins with `prefix`. */
export function startsWith(buf: Uint8Array, prefix: Uint8Array): boolean {
  if (buf.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[i] !== prefix[i]) return false;
  return true;
}

/** Index of `needle` in the first `limit` bytes of `buf` (the needle must end before `limit`), or -1. */
export function indexWithin(buf: Buffer, needle: Uint8Array, limit: number, from = 0): number {
  const at = buf.indexOf(needle, from);
  return at >= 0 && at + needle.length <= limit ? at : -1;
}

const DQUOTE = 0x22;

/**
 * The scalar after `needle` (which ends with `:`): a number, or the text of a
 * quoted string. Returns undefined when `needle` is absent.
 */
export function valueAfter(buf: Buffer, needle: Uint8Array, from = 0): string | undefined {
  const at = buf.indexOf(needle, from);
  if (at < 0) return undefined;
  let i = at + needle.length;
  if (buf[i] === DQUOTE) {
    const end = buf.indexOf(DQUOTE, i + 1);
    return end < 0 ? undefined : buf.toString('latin1', i + 1, end);
  }
  const start = i;
  while (i < buf.length) {
    const c = buf[i]!;
    if ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e) i++;
    else break;
  }
  return i > start ? buf.toString('latin1', start, i) : undefined;
}

/** Every integer value after `needle` in the frame (trade ids of a multi-trade frame). */
export function allIntsAfter(buf: Buffer, needle: Uint8Array): number[] {
  const out: number[] = [];
  let from = 0;
  for (;;) {
    const at = buf.indexOf(needle, from);
    if (at < 0) return out;
    const v = valueAfter(buf, needle, at);
    from = at + needle.length;
    if (v === undefined) continue;
    const n = Number(v);
    if (Number.isSafeInteger(n)) out.push(n);
  }
}

/** 32-bit FNV-1a of the bytes, as text with the length (a frame identity for overlap dedup). */
export function frameHash(buf: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < buf.length; i++) {
    h ^= buf[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return `#${(h >>> 0).toString(36)}:${buf.length}`;
}
