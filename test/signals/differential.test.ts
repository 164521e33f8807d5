// Differential test: the native SignalEngine (driven through
// `build-native/signals_test --replay`, see test/native/signals_test.cpp)
// against the TS reference, over generated call sequences. Native records are
// decoded with src/engine/signals.ts, so the decoder and the record layouts
// are checked at the same time. Numbers agree to a relative 1e-9; everything
// else exactly. Skipped when the native tests have not been built
// (`bash scripts/native-tests.sh`).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { venueCode } from '../../src/events';
import { SignalDecoder, type SignalRecord } from '../../src/engine/signals';
import type { RecordView } from '../../src/engine/ring';
import { SignalEngine } from '../../src/reference/signals';
import { apply, callArb, SYMBOLS, VENUE_CHOICES, weird, type Call } from './calls';

const binary = process.env.TICKWIRE_SIGNALS_TEST ?? join(__dirname, '..', '..', 'build-native', 'signals_test');
const haveNative = existsSync(binary);

const num = (x: number): string => String(x);
const tsText = (ts: number | null): string => (ts === null ? 'null' : num(ts));

function script(calls: readonly Call[]): string {
  const lines = SYMBOLS.map((s, i) => `sym ${i} ${s}`);
  for (const c of calls) {
    switch (c.k) {
      case 'now':
        lines.push(`now ${c.now}`);
        break;
      case 'trade':
        lines.push(
          `trade ${venueCode(VENUE_CHOICES[c.v]!)} ${c.s} ${tsText(c.ts)} ${c.recv} ${num(c.px)} ${num(c.qty)} ${c.sell ? 1 : 0}`,
        );
        break;
      case 'top':
        lines.push(
          `top ${venueCode(VENUE_CHOICES[c.v]!)} ${c.s} ${tsText(c.ts)} ${c.recv} ${num(c.bp)} ${num(c.bq)} ${num(c.ap)} ${num(c.aq)} ${c.valid ? 1 : 0}`,
        );
        break;
      case 'depth':
        lines.push(
          `depth ${venueCode(VENUE_CHOICES[c.v]!)} ${c.s} ${tsText(c.ts)} ${c.recv} ${c.valid ? 1 : 0} ${c.bids.length} ${c.bids.map(num).join(' ')} ${c.asks.length} ${c.asks.map(num).join(' ')}`,
        );
        break;
      case 'state':
        lines.push(`${c.emit ? 'statew' : 'state'} ${venueCode(VENUE_CHOICES[c.v]!)} ${c.s} ${c.valid ? 1 : 0}`);
        break;
      case 'idle':
        lines.push(`idle ${c.now}`);
        break;
      case 'flush':
        lines.push('flush');
        break;
    }
  }
  return lines.join('\n') + '\n';
}

function runNative(calls: readonly Call[], revise: boolean): SignalRecord[] {
  const res = spawnSync(binary, revise ? ['--replay', '--revise'] : ['--replay'], {
    input: script(calls),
    maxBuffer: 256 * 1024 * 1024,
  });
  assert.equal(res.status, 0, `signals_test --replay failed: ${res.stderr?.toString()}`);
  const data = new Uint8Array(res.stdout.buffer, res.stdout.byteOffset, res.stdout.byteLength);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const decoder = new SignalDecoder({ symbol: (id) => SYMBOLS[id] });
  const out: SignalRecord[] = [];
  for (let at = 0; at < data.byteLength;) {
    const length = view.getUint32(at, true);
    const record: RecordView = {
      type: view.getUint16(at + 4, true),
      venue: view.getUint16(at + 6, true),
      aux: view.getUint32(at + 8, true),
      flags: view.getUint32(at + 12, true),
      recvNsLo: view.getUint32(at + 16, true),
      recvNsHi: view.getUint32(at + 20, true),
      payloadOffset: at + 24,
      length,
      data,
    };
    const decoded = decoder.decode(record);
    assert.ok(decoded !== null, `native wrote a non-signal record type ${record.type}`);
    out.push(decoded);
    at += 24 + length;
  }
  return out;
}

function runReference(calls: readonly Call[], revise: boolean): SignalRecord[] {
  const e = new SignalEngine({ latePolicy: revise ? 'revise' : 'drop' });
  return calls.flatMap((c) => apply(e, c));
}

function sameRecords(native: SignalRecord[], reference: SignalRecord[]): void {
  assert.equal(native.length, reference.length, 'record count');
  for (let i = 0; i < native.length; i++) {
    const a = native[i]! as unknown as Record<string, unknown>;
    const b = reference[i]! as unknown as Record<string, unknown>;
    assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort(), `fields of record ${i}`);
    for (const k of Object.keys(b)) {
      const x = a[k];
      const y = b[k];
      if (typeof x === 'number' && typeof y === 'number') {
        const tol = 1e-9 * Math.max(Math.abs(x), Math.abs(y));
        assert.ok(Math.abs(x - y) <= tol, `record ${i} (${String(b.signal)}) ${k}: native ${x}, reference ${y}`);
      } else {
        assert.equal(x, y, `record ${i} (${String(b.signal)}) ${k}`);
      }
    }
  }
}

const normal = fc.integer({ min: 1, max: 20_000 }).map((x) => x / 100);

describe('native vs reference', { skip: haveNative ? false : `no ${binary}: run bash scripts/native-tests.sh` }, () => {
  for (const revise of [false, true]) {
    it(`agree on generated streams (policy ${revise ? 'revise' : 'drop'})`, () => {
      fc.assert(
        fc.property(fc.array(callArb(normal), { minLength: 1, maxLength: 300 }), (calls) => {
          sameRecords(runNative(calls, revise), runReference(calls, revise));
        }),
        { numRuns: 25 },
      );
    });
  }
  it('agree on streams with hostile values', () => {
    fc.assert(
      fc.property(fc.array(callArb(weird), { minLength: 1, maxLength: 300 }), (calls) => {
        sameRecords(runNative(calls, true), runReference(calls, true));
      }),
      { numRuns: 15 },
    );
  });
  it('agree on a long realistic stream (windows full, evictions, rebuilds)', () => {
    // 20k events over 100 s of event time, mostly in order, 1 % late.
    let seed = 42;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const calls: Call[] = [];
    let ts = 1_700_000_000_000_000;
    let mid = 100;
    for (let i = 0; i < 20_000; i++) {
      ts += Math.floor(rnd() * 10_000);
      mid *= 1 + (rnd() - 0.5) * 1e-3;
      const v = Math.floor(rnd() * 3);
      const s = Math.floor(rnd() * 2);
      calls.push({ k: 'now', now: ts + 1000 });
      const px = Math.round(mid * 100) / 100;
      if (rnd() < 0.5) {
        const late = rnd() < 0.01 ? Math.floor(rnd() * 3_000_000) : Math.floor(rnd() * 400_000);
        calls.push({
          k: 'trade',
          v,
          s,
          ts: ts - late,
          recv: ts,
          px,
          qty: Math.ceil(rnd() * 1000) / 100,
          sell: rnd() < 0.5,
        });
      } else {
        calls.push({
          k: 'top',
          v,
          s,
          ts,
          recv: ts,
          bp: px - 0.01,
          bq: Math.ceil(rnd() * 100) / 10,
          ap: px + 0.01,
          aq: Math.ceil(rnd() * 100) / 10,
          valid: rnd() > 0.02,
        });
      }
      if (i % 500 === 0) calls.push({ k: 'idle', now: ts + 3_000_000 });
    }
    calls.push({ k: 'flush' });
    for (const revise of [false, true]) sameRecords(runNative(calls, revise), runReference(calls, revise));
  });
});
