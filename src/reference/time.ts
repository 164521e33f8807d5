// Venue timestamps → integer microseconds since the Unix epoch (docs/events.md, "Times").
// Functions return the reject reason instead of throwing so that the caller
// decides whether it is structural (wrong_type, thrown at once) or a value
// error (bad_timestamp, reported only if nothing structural follows).
import type { RejectReason } from '../events';

const DIGITS = /^[0-9]+$/;
const RFC3339 =
  /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?(?:Z|([+-])([0-9]{2}):([0-9]{2}))$/;

/** Milliseconds as a JSON integer or a decimal string of one (OKX, Bybit). */
export function msToMicros(value: unknown): number | RejectReason {
  let ms: number;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'string') {
    if (!DIGITS.test(value)) return 'bad_timestamp';
    ms = Number(value);
  } else return 'wrong_type';
  return integerMicros(ms);
}

function integerMicros(ms: number): number | RejectReason {
  if (!Number.isInteger(ms) || ms < 0) return 'bad_timestamp';
  // JSON `-0` passes as 0 ms; give +0 as native's int64 does, not -0 µs.
  const us = ms === 0 ? 0 : ms * 1000;
  // Beyond 2^53 the product is no longer the exact integer.
  return Number.isSafeInteger(us) ? us : 'bad_timestamp';
}

/**
 * RFC 3339 text; digits beyond µs are truncated, not rounded. A valid time
 * before the epoch gives null: Coinbase sends the zero time
 * `0001-01-01T00:00:00.000000Z` on real book updates that must not be lost.
 */
export function rfc3339ToMicros(value: unknown): number | null | RejectReason {
  if (typeof value !== 'string') return 'wrong_type';
  const m = RFC3339.exec(value);
  if (m === null) return 'bad_timestamp';
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return 'bad_timestamp';
  if (hour > 23 || minute > 59 || second > 59) return 'bad_timestamp';
  let offsetMinutes = 0;
  if (m[8] !== undefined) {
    const oh = Number(m[9]);
    const om = Number(m[10]);
    if (oh > 23 || om > 59) return 'bad_timestamp';
    offsetMinutes = (m[8] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  // Date.UTC would map years 0..99 to 1900..1999; 1969 can still land after the epoch via the offset.
  if (year < 1969) return null;
  const fraction = m[7] === undefined ? 0 : Number((m[7] + '00000').slice(0, 6));
  const us = (Date.UTC(year, month - 1, day, hour, minute, second) - offsetMinutes * 60_000) * 1000 + fraction;
  if (us < 0) return null;
  return Number.isSafeInteger(us) ? us : 'bad_timestamp';
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
