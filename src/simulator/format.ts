// Text helpers shared by the venue encoders: decimal formatting of integer
// units, RFC 3339 time at µs/ns precision, and CRC32 for book checksums.
import { crc32 as zlibCrc32 } from 'node:zlib';

/**
 * `units` × 10^-exp as decimal text with exactly `decimals` fraction digits
 * (decimals >= exp), or with trailing zeros removed when `decimals` is 'trim'.
 */
export function formatUnits(units: number, exp: number, decimals: number | 'trim'): string {
  let s = String(units);
  if (exp > 0) {
    if (s.length <= exp) s = '0'.repeat(exp - s.length + 1) + s;
    const int = s.slice(0, s.length - exp);
    let frac = s.slice(s.length - exp);
    if (decimals === 'trim') {
      let end = frac.length;
      while (end > 0 && frac.charCodeAt(end - 1) === 48) end--;
      frac = frac.slice(0, end);
      return frac.length === 0 ? int : `${int}.${frac}`;
    }
    if (decimals > exp) frac += '0'.repeat(decimals - exp);
    return `${int}.${frac}`;
  }
  if (decimals === 'trim' || decimals === 0) return s;
  return `${s}.${'0'.repeat(decimals)}`;
}

let cachedMs = -1;
let cachedPrefix = '';

/** `2026-01-02T03:04:05.123456Z` from µs since the epoch. */
export function rfc3339Micros(us: number): string {
  const ms = Math.floor(us / 1000);
  if (ms !== cachedMs) {
    cachedMs = ms;
    cachedPrefix = new Date(ms).toISOString().slice(0, 23);
  }
  return `${cachedPrefix}${String(us - ms * 1000).padStart(3, '0')}Z`;
}

/** Nanosecond-precision RFC 3339 (Coinbase Advanced envelopes); the last 3 digits are 0. */
export function rfc3339Nanos(us: number): string {
  const t = rfc3339Micros(us);
  return `${t.slice(0, -1)}000Z`;
}

/** Unsigned CRC-32/ISO-HDLC (zlib). */
export function crc32(text: string): number {
  return zlibCrc32(text) >>> 0;
}

/** Kraken v2 checksum input: price and qty text without `.` and without leading zeros. */
export function krakenChecksumPart(text: string): string {
  const s = text.replace('.', '');
  let i = 0;
  while (i < s.length - 1 && s.charCodeAt(i) === 48) i++;
  return s.slice(i);
}
