// Decimal text → double, with the accepted grammar of docs/events.md ("Numbers").
// The value is exactly what Number(text) gives (the nearest double), so the
// native engine can be held to the same bits.
import type { RejectReason } from '../events';

/** Mantissa with at least one digit, optional fraction and exponent; no sign. */
const UNSIGNED_DECIMAL = /^(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/**
 * A price or size: returns the value, or the reject reason. A reason is
 * returned rather than thrown so the caller can let structural errors found
 * later in the same frame win (see the reject order in src/events.ts).
 */
export function parseQuantity(text: string): number | RejectReason {
  return parseDecimal(text, false);
}

/** A value that may be negative (funding rate). */
export function parseSigned(text: string): number | RejectReason {
  return parseDecimal(text, true);
}

function parseDecimal(text: string, signed: boolean): number | RejectReason {
  // A leading '-' is its own reason only when the rest is a well-formed number;
  // "-abc" is simply not a number.
  const negative = text.charCodeAt(0) === 45; /* '-' */
  const body = negative ? text.slice(1) : text;
  if (!UNSIGNED_DECIMAL.test(body)) return 'bad_number';
  if (negative && !signed) return 'negative_value';
  const value = Number(text);
  // Grammar-valid text can still overflow ("1e999").
  return Number.isFinite(value) ? value : 'bad_number';
}

/**
 * Kraken v2 sends prices as JSON numbers; JSON.parse already produced the
 * nearest double of their text, so only sign and finiteness remain to check.
 */
export function checkJsonQuantity(value: number): number | RejectReason {
  if (!Number.isFinite(value)) return 'bad_number';
  if (value < 0 || Object.is(value, -0)) return 'negative_value';
  return value;
}
