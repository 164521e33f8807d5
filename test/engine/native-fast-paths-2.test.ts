// The direct scans of OKX trades and books and Coinbase match and l2update
// messages (native/venues/okx.cpp, coinbase.cpp: the venues' own key order
// read straight through, anything else handed to the general path). These
// properties aim at the scans' edges — numbers at and past 15 or 16
// characters and near the end of the frame, millisecond strings with leading
// zeros or past the safe range, signed sequence numbers, RFC 3339 times at the
// edges of the calendar and of the epoch, levels with extra entries, keys out
// of the venues' order, missing, repeated or followed by a later copy — and
// require every frame to give exactly what the TS reference gives. The last
// test runs streams through the book stage and signals twice, as sent and
// with a leading space (which the scans never take), and requires the same
// output records byte for byte.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { venueCode, type CanonicalEvent, type VenueId } from '../../src/events';
import { Engine } from '../../src/engine/engine';
import { normalizeFrames } from '../../src/engine/normalize';
import { FRAME_RECORD_TYPE, RECORD_TYPES } from '../../src/engine/records';
import type { RecordView } from '../../src/engine/ring';
import { EngineStream } from '../../src/engine/stream';
import { ReferenceNormalizer } from '../../src/reference/index';

const RECV_TS = 1_700_000_000_123_456;
const utf8 = new TextEncoder();
const reference = new ReferenceNormalizer();

function agree(venue: VenueId, raw: string): void {
  const native: CanonicalEvent[] = normalizeFrames([{ venue, raw, recvTs: RECV_TS }]);
  assert.deepStrictEqual(native, reference.normalize(venue, utf8.encode(raw), RECV_TS), raw);
}

const digits = (min: number, max: number) =>
  fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((d) => d.join(''));

// Decimal text around the 16-character fast path, and forms it must hand over;
// `odd` weighs the latter (a book level needs two good ones, times six).
const decimals = (odd: number) =>
  fc.oneof(
    { weight: 16, arbitrary: fc.tuple(digits(1, 10), digits(0, 10)).map(([i, f]) => (f ? `${i}.${f}` : i)) },
    { weight: 8, arbitrary: fc.tuple(digits(1, 12), digits(1, 12)).map(([i, f]) => `${i}.${f}`) },
    { weight: odd, arbitrary: digits(0, 22) },
    {
      weight: odd,
      arbitrary: fc.constantFrom('', '.', '.5', '5.', '1e5', '1E-3', '-1', '+1', ' 1', '1 ', '0x10', 'NaN', '1.2.3'),
    },
    {
      weight: odd,
      arbitrary: fc.tuple(digits(1, 8), fc.constantFrom('e', 'E', '-', '"', '\\\\', 'x')).map(([d, c]) => d + c),
    },
  );
const decimalText = decimals(3);

// A JSON number token where venues put integers (ids, sequences).
const intToken = fc.oneof(
  { weight: 4, arbitrary: fc.bigInt(0n, 10n ** 15n).map(String) },
  { weight: 2, arbitrary: fc.bigInt(10n ** 14n, 10n ** 16n).map(String) }, // around the 15 digits read at once
  { weight: 1, arbitrary: digits(1, 20) }, // leading zeros: not JSON
  {
    weight: 1,
    arbitrary: fc.constantFrom('0', '-5', '1.5', '1e3', '9007199254740993', '"12"', 'null', 'true', '1.', '1e', '-'),
  },
);

// Checksums and OKX sequence ids: negative as often as not.
// ("-0" is left out: the native engines read 0 and the TS reference -0.)
const signedIntToken = fc.oneof(
  { weight: 3, arbitrary: intToken },
  { weight: 3, arbitrary: fc.bigInt(-(10n ** 15n), 0n).map(String) },
  { weight: 1, arbitrary: fc.bigInt(-(10n ** 16n), -(10n ** 14n)).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('-01', '-', '-1', '-855196043', '-1.5', '-1e3', '- 1', '-"1"') },
);

// OKX times: a string of milliseconds (the usual), its edges, or a number.
const okxMs = fc.oneof(
  { weight: 6, arbitrary: fc.bigInt(0n, 2n * 10n ** 12n).map((v) => `"${v}"`) },
  { weight: 2, arbitrary: digits(0, 18).map((d) => `"${d}"`) }, // leading zeros, past the safe range
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '"9007199254740"',
      '"9007199254741"',
      '"0"',
      '"1.5"',
      '"-1"',
      '"1e3"',
      '" 1"',
      '"1 "',
      '1652459199958',
      '"\\u0031"',
      'null',
    ),
  },
);

const pad = (v: number, width = 2) => String(v).padStart(width, '0');
// A field of a time: in range mostly, else one of `bad`.
const field = (min: number, max: number, ...bad: number[]) =>
  fc.oneof({ weight: 12, arbitrary: fc.integer({ min, max }) }, { weight: 1, arbitrary: fc.constantFrom(...bad) });
// RFC 3339 times: mostly valid, with fields and offsets around their limits.
const rfc3339 = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .record({
        year: fc.constantFrom(1, 1968, 1969, 1970, 2000, 2021, 2021, 2024, 2100, 2255, 2286, 9999),
        month: field(1, 12, 0, 13),
        day: field(1, 31, 0, 32),
        hour: field(0, 23, 24),
        minute: field(0, 59, 60),
        second: field(0, 59, 60),
        fraction: fc.oneof(
          { weight: 1, arbitrary: fc.constant('') },
          { weight: 4, arbitrary: digits(0, 10).map((d) => `.${d}`) },
        ),
        offset: fc.oneof(
          { weight: 8, arbitrary: fc.constant('Z') },
          { weight: 2, arbitrary: fc.constantFrom('+00:00', '-05:30', '+14:00', '+23:59') },
          { weight: 1, arbitrary: fc.constantFrom('z', '+24:00', '-00:60', '', '+0100', 'Z ') },
        ),
      })
      .map(
        (t) =>
          `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}T${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}${t.fraction}${t.offset}`,
      ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '2021-04-17T16:43:37.089723Z',
      '0001-01-01T00:00:00.000000Z',
      '1969-12-31T23:59:59.999999Z',
      '1970-01-01T00:00:00Z',
      '2024-02-29T00:00:00Z',
      '2023-02-29T00:00:00Z',
      '2021-04-17 16:43:37Z',
      '2021-04-17T16:43:37',
      '',
    ),
  },
);

type Member = [key: string, value: string];

// The members in the venue's order (most runs), or with a change that leaves
// the layout: two swapped, one missing, one repeated, a later copy of one with
// another value (the general path takes the last), an extra member, or a key
// with one character changed (same length: the layouts compare keys and
// punctuation as words).
function arrange(members: Member[], change: number, alt: string, extra: Member): Member[] {
  const out = [...members];
  const i = change % out.length;
  switch (Math.floor(change / out.length) % 10) {
    case 3: {
      const j = (i + 1) % out.length;
      [out[i], out[j]] = [out[j]!, out[i]!];
      return out;
    }
    case 4:
      out.splice(i, 1);
      return out;
    case 5:
      out.splice(i, 0, out[i]!);
      return out;
    case 6:
      out.push([out[i]![0], alt]);
      return out;
    case 7:
      out.splice(i, 0, extra);
      return out;
    case 8: {
      const [key, value] = out[i]!;
      const at = Math.floor(change / 10) % key.length;
      const c = key[at] === 'x' ? 'y' : 'x';
      out[i] = [key.slice(0, at) + c + key.slice(at + 1), value];
      return out;
    }
    default:
      return out;
  }
}

const object = (members: Member[]): string => `{${members.map(([k, v]) => `"${k}":${v}`).join(',')}}`;
const quoted = (s: string): string => `"${s}"`;
const change = fc.nat(10_000);
const alt = fc.oneof(decimalText.map(quoted), intToken, okxMs);
const extra = fc.constantFrom<Member>(
  ['event', '"error"'],
  ['action', '"update"'],
  ['count', '"3"'],
  ['x', '[1]'],
  ['y', '{}'],
  ['z', 'null'],
);
const anyTweak = fc.record({ change, alt, extra });
type Tweak = { change: number; alt: string; extra: Member };
const rearrange = (members: Member[], t: Tweak) => arrange(members, t.change, t.alt, t.extra);
// For the outer objects of a frame: as sent three times in four, so that most
// frames changed at all are changed in one place.
const asSent: Tweak = { change: 0, alt: '0', extra: ['z', 'null'] };
const outerTweak = fc.oneof({ weight: 3, arbitrary: fc.constant(asSent) }, { weight: 1, arbitrary: anyTweak });
// For the innermost object: as sent in about two frames in three.
const tweak = fc.oneof({ weight: 1, arbitrary: fc.constant(asSent) }, { weight: 2, arbitrary: anyTweak });

// Now and then something after the frame's object: whitespace (valid JSON the
// scans leave to the general path) or stray bytes.
const suffix = fc.oneof(
  { weight: 16, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.constantFrom(' ', '\n', '}', ']', ',', 'x', '{}') },
);

// Symbols: usual ones, empty, lower case, escaped, 64 bytes, not a string.
// (Symbols and trade ids past 64 bytes the native engines reject, as
// docs/records.md says, and the TS reference does not: not a question for
// the fast paths.)
const symbol = (usual: string[]) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...usual.map(quoted)) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('""', '"btc-usdt"', '"BTC\\u002dUSDT"', quoted('A'.repeat(64)), '5', 'null'),
    },
  );

// A level: price and size, then nothing or OKX's "0" and order count, or other entries.
const levelEntry = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('"0"', '"13"', '"1"') },
  {
    weight: 1,
    arbitrary: fc.constantFrom('""', '"1x"', '3', 'null', 'true', '[]', '{}', '"\\u0030"', '1.', '-', 'tru'),
  },
);
const levelDecimal = decimals(1);
const level = fc
  .tuple(levelDecimal, levelDecimal, fc.array(levelEntry, { maxLength: 3 }), fc.nat(40))
  .map(([px, qty, more, shape]) =>
    shape === 0 ? `[${quoted(px)}]` : `[${[quoted(px), quoted(qty), ...more].join(',')}]`,
  );

// Coinbase strings the match scan reads with one or two wide loads (order ids
// of 36 characters, product ids of at most 15): lengths around those, now and
// then with one character replaced by what must end or spoil the string — a
// quote, an escape, a control character, non-ASCII text — anywhere in it.
const stringsAround = (lengths: number[]) =>
  fc
    .tuple(
      fc.constantFrom(...lengths),
      fc.nat(40),
      fc.option(
        fc.constantFrom('"', '\\"', '\\\\', '\\u0041', '\\q', '\u0001', '\u001f', '\t', '\u007f', 'é', '€', ' '),
        {
          freq: 2,
          nil: undefined,
        },
      ),
    )
    .map(([length, at, c]) => {
      const text = 'c8da-4732-9f71-6049f4c6aaf8-1da6ce16-af29-4f45'.slice(0, length);
      const i = at % (length + 1);
      return quoted(c === undefined ? text : text.slice(0, i) + c + text.slice(i + 1));
    });
const orderId = fc.oneof(
  { weight: 6, arbitrary: fc.constant('"2a0da34e-61f7-4c36-88e5-c9dd15927b16"') },
  { weight: 4, arbitrary: stringsAround([0, 1, 31, 32, 35, 36, 36, 36, 37, 40]) },
  { weight: 1, arbitrary: fc.constantFrom('""', '"a\\"b"', '5', 'null') },
);

describe('native fast paths agree with the TS reference (OKX, Coinbase)', () => {
  it('OKX trades in the layout the fast path knows, and near misses', () => {
    const trade = fc
      .record({
        inst: symbol(['BTC-USDT', 'BTC-USD-220527', 'UNI-USD-SWAP']),
        id: fc.oneof(
          { weight: 4, arbitrary: digits(1, 12).map(quoted) },
          { weight: 1, arbitrary: fc.oneof(intToken, digits(60, 64).map(quoted), fc.constant('"7\\u0038"')) },
        ),
        px: decimalText,
        sz: decimalText,
        side: fc.constantFrom('"buy"', '"sell"', '"buy"', '"sell"', '"Buy"', '""', '1'),
        ts: okxMs,
        count: fc.option(fc.constantFrom('"3"', '"1"', '"12"', '3', '[]', '1.', '-', '"1x"'), { nil: undefined }),
        seqId: fc.option(intToken, { nil: undefined }),
        tweak,
      })
      .map((t) => {
        const members: Member[] = [
          ['instId', t.inst],
          ['tradeId', t.id],
          ['px', quoted(t.px)],
          ['sz', quoted(t.sz)],
          ['side', t.side],
          ['ts', t.ts],
        ];
        if (t.count !== undefined) members.push(['count', t.count]);
        if (t.seqId !== undefined) members.push(['seqId', t.seqId]);
        return object(rearrange(members, t.tweak));
      });
    fc.assert(
      fc.property(
        fc.array(trade, { minLength: 0, maxLength: 3 }),
        fc.constantFrom('trades', 'trades', 'trades', 'trades-all', 'tickers', 'trade'),
        outerTweak,
        outerTweak,
        suffix,
        (trades, channel, argTweak, rootTweak, after) => {
          const arg: Member[] = [
            ['channel', quoted(channel)],
            ['instId', '"BTC-USDT"'],
          ];
          const root: Member[] = [
            ['arg', object(rearrange(arg, argTweak))],
            ['data', `[${trades.join(',')}]`],
          ];
          agree('okx', object(rearrange(root, rootTweak)) + after);
        },
      ),
      { numRuns: 4000 },
    );
  });

  it('OKX trades: many in one frame, around the 16 the fast path holds', () => {
    for (const count of [1, 15, 16, 17, 40]) {
      const trades = Array.from(
        { length: count },
        (_, k) =>
          `{"instId":"BTC-USDT","tradeId":"${338476307 + k}","px":"30243.${k}","sz":"0.00${k + 1}","side":"${k % 2 ? 'sell' : 'buy'}","ts":"${1652459226050 + k}"}`,
      );
      agree('okx', `{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[${trades.join(',')}]}`);
    }
  });

  it('OKX order books in the layout the fast path knows, and near misses', () => {
    const book = fc
      .record({
        asks: fc.array(level, { maxLength: 6 }),
        bids: fc.array(level, { maxLength: 6 }),
        instId: fc.option(fc.constantFrom('"BCH-USDT-SWAP"', '5'), { nil: undefined }),
        ts: okxMs,
        checksum: fc.option(signedIntToken, { nil: undefined }),
        prevSeqId: fc.option(signedIntToken, { nil: undefined }),
        seqId: fc.option(signedIntToken, { nil: undefined }),
        tweak,
      })
      .map((b) => {
        const members: Member[] = [
          ['asks', `[${b.asks.join(',')}]`],
          ['bids', `[${b.bids.join(',')}]`],
        ];
        if (b.instId !== undefined) members.push(['instId', b.instId]);
        members.push(['ts', b.ts]);
        if (b.checksum !== undefined) members.push(['checksum', b.checksum]);
        if (b.prevSeqId !== undefined) members.push(['prevSeqId', b.prevSeqId]);
        if (b.seqId !== undefined) members.push(['seqId', b.seqId]);
        return object(rearrange(members, b.tweak));
      });
    fc.assert(
      fc.property(
        fc.oneof(
          { weight: 8, arbitrary: book.map((b) => [b]) },
          { weight: 1, arbitrary: fc.array(book, { maxLength: 2 }) },
        ),
        fc.constantFrom('books', 'books', 'books5', 'books-l2-tbt', 'books50-l2-tbt', 'bbo-tbt', 'books1'),
        // An action where the channel has one (not books5, bbo-tbt), now and then the other way round.
        fc.tuple(fc.constantFrom('"snapshot"', '"update"', '"update"', '"partial"', '1'), fc.nat(7)),
        symbol(['BTC-USDT', 'BTC-USD-220527', 'BCH-USDT-SWAP']),
        outerTweak,
        outerTweak,
        suffix,
        (books, channel, action, inst, argTweak, rootTweak, after) => {
          const arg: Member[] = [
            ['channel', quoted(channel)],
            ['instId', inst],
          ];
          const root: Member[] = [['arg', object(rearrange(arg, argTweak))]];
          const [actionValue, flip] = action;
          if ((channel === 'books5' || channel === 'bbo-tbt') === (flip === 0)) root.push(['action', actionValue]);
          root.push(['data', `[${books.join(',')}]`]);
          agree('okx', object(rearrange(root, rootTweak)) + after);
        },
      ),
      { numRuns: 4000 },
    );
  });

  it('OKX order books around the 128 asks the fast path holds', () => {
    for (const count of [0, 1, 127, 128, 129, 400]) {
      const asks = Array.from({ length: count }, (_, k) => `["${30238 + k}.8","${k + 1}","0","1"]`);
      const bids = Array.from({ length: Math.min(count, 5) }, (_, k) => `["${30237 - k}.1","${k + 2}","0","1"]`);
      for (const action of ['snapshot', 'update']) {
        agree(
          'okx',
          `{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"${action}","data":[{"asks":[${asks.join(',')}],"bids":[${bids.join(',')}],"ts":"1652459225393","checksum":-1054815633}]}`,
        );
      }
    }
  });

  it('Coinbase match and last_match in the layout the fast path knows, and near misses', () => {
    fc.assert(
      fc.property(
        fc.record({
          type: fc.constantFrom('"match"', '"match"', '"match"', '"last_match"', '"last_match"', '"ticker"', '"Match"'),
          tradeId: fc.oneof({ weight: 4, arbitrary: intToken }, { weight: 1, arbitrary: digits(1, 10).map(quoted) }),
          maker: orderId,
          taker: orderId,
          side: fc.constantFrom('"buy"', '"sell"', '"buy"', '"sell"', '"buy"', '"sell"', '"BUY"', 'true'),
          size: decimalText,
          price: decimalText,
          product: fc.oneof(
            { weight: 4, arbitrary: symbol(['BTC-USD', 'SKL-GBP', 'ETH-USDC']) },
            { weight: 1, arbitrary: stringsAround([0, 1, 7, 14, 15, 16, 17]) },
          ),
          sequence: intToken,
          time: fc.oneof({ weight: 9, arbitrary: rfc3339.map(quoted) }, { weight: 1, arbitrary: intToken }),
        }),
        tweak,
        suffix,
        (m, t, after) => {
          const members: Member[] = [
            ['type', m.type],
            ['trade_id', m.tradeId],
            ['maker_order_id', m.maker],
            ['taker_order_id', m.taker],
            ['side', m.side],
            ['size', quoted(m.size)],
            ['price', quoted(m.price)],
            ['product_id', m.product],
            ['sequence', m.sequence],
            ['time', m.time],
          ];
          agree('coinbase', object(rearrange(members, t)) + after);
        },
      ),
      { numRuns: 4000 },
    );
  });

  // The match scan takes order ids, the product id and the time with wide
  // loads and without str()'s loop: each next to every way of ending or
  // spoiling it (a value that runs on to the next key, an escape, a control
  // character, a stray byte before the frame's end).
  it('Coinbase match: order ids, product ids and the time at the edges of their wide reads', () => {
    const uuid = '27fff20b-af29-4f45-8744-56dd1ef57dc0';
    const makers = [
      `"${uuid}"`,
      `"\\u0032${uuid.slice(1)}"`,
      `"${uuid.slice(0, -1)}\u0000"`,
      `"${uuid.slice(1)}"`,
      `"${uuid}x"`,
      `"${uuid}\\`, // runs on: `\,` is no escape
      `"${uuid}\u0001`,
      `"${uuid.slice(0, -1)}\\`,
      `"${uuid.slice(0, -1)}\u0001`,
      `"${uuid.slice(0, 30)}\\\\${uuid.slice(32)}"`,
      `"${uuid.slice(0, 30)}\\q${uuid.slice(32)}"`,
    ];
    const products = [
      '"BAND-GBP"',
      '"BAND\u0001GBP"',
      '"BAND\\-GBP"',
      '"BAND\\u002dGBP"',
      '"BAND-GBP\\', // runs on
      '"BAND-GBP\u0001',
      '""',
      '"ABCDEFGHIJ-KLMN"',
      '"ABCDEFGHIJK-LMNO"',
      '"ABCDEFGHIJKL-MNOP"',
    ];
    const times = [
      '"2021-04-17T16:43:30.244075Z"}',
      '"2021-04-17T16:43:30Z"}',
      '"2021-04-17T16:43:30.244075Z","x":"1"}',
      '"2021-04-17T16:43:30.244075Z"}}',
      '"2021-04-17T16:43:30.244075Z""}',
      '"2021-04-17T16:43:30.244075Z}',
      '"2021-04-17T16:43:30.244075Zx}',
      '"2021-04-17T16:43:30.244075Z\\\\}',
      '"2021-04-17T16:43:30.244075Z\\"}',
      '"2021-04-17T16:43:30.244075Z\u0001"}',
      '"\\u0032021-04-17T16:43:30Z"}',
      '""}',
      '"}',
      '"',
      '2021}',
    ];
    const taker = '"1da6ce16-c8da-4732-9f71-6049f4c6aaf8"';
    const frame = (maker: string, takerId: string, product: string, time: string) =>
      `{"type":"match","trade_id":881613,"maker_order_id":${maker},"taker_order_id":${takerId},"side":"sell","size":"0.04","price":"14.7775","product_id":${product},"sequence":333938798,"time":${time}`;
    for (const id of makers) {
      agree('coinbase', frame(id, taker, products[0]!, times[0]!));
      agree('coinbase', frame(makers[0]!, id, products[0]!, times[0]!));
    }
    for (const product of products) agree('coinbase', frame(makers[0]!, taker, product, times[0]!));
    for (const time of times) agree('coinbase', frame(makers[0]!, taker, products[0]!, time));
  });

  it('Coinbase l2update in the layouts the fast path knows, and near misses', () => {
    const change = fc
      .tuple(
        fc.constantFrom('"buy"', '"sell"', '"buy"', '"sell"', '"BUY"', '1'),
        levelDecimal,
        levelDecimal,
        fc.oneof(
          { weight: 6, arbitrary: fc.constant([]) },
          { weight: 1, arbitrary: fc.array(levelEntry, { maxLength: 2 }) },
        ),
        fc.nat(40),
      )
      .map(([side, px, qty, more, shape]) =>
        shape === 0 ? `[${side},${quoted(px)}]` : `[${[side, quoted(px), quoted(qty), ...more].join(',')}]`,
      );
    fc.assert(
      fc.property(
        fc.array(change, { maxLength: 6 }),
        fc.oneof({ weight: 9, arbitrary: rfc3339.map(quoted) }, { weight: 1, arbitrary: intToken }),
        symbol(['BTC-USD', 'SKL-GBP', 'ETH-USDC']),
        fc.boolean(),
        fc.constantFrom('"l2update"', '"l2update"', '"l2update"', '"snapshot"', '"L2update"'),
        tweak,
        suffix,
        (changes, time, product, timeFirst, type, t, after) => {
          const members: Member[] = [
            ['type', type],
            ['product_id', product],
          ];
          const list: Member = ['changes', `[${changes.join(',')}]`];
          if (timeFirst) members.push(['time', time], list);
          else members.push(list, ['time', time]);
          agree('coinbase', object(rearrange(members, t)) + after);
        },
      ),
      { numRuns: 4000 },
    );
  });

  it('book stage and signals: the same output records whether a frame takes the fast path or not', () => {
    interface Out {
      type: number;
      venue: number;
      aux: number;
      flags: number;
      bytes: string;
    }
    function run(frames: { venue: VenueId; raw: string }[]): Out[] {
      const engine = new Engine({
        mode: 'inline',
        pipeline: 'normalize',
        books: true,
        signals: true,
        bookVerdicts: true,
        inputCapacity: 1 << 22,
        outputCapacity: 1 << 22,
      });
      const out: Out[] = [];
      const stream = new EngineStream(engine, (r: RecordView) => {
        // A reject carries the start of its frame, which differs by the space.
        const payload =
          r.type === RECORD_TYPES.reject
            ? new Uint8Array()
            : r.data.subarray(r.payloadOffset, r.payloadOffset + r.length);
        out.push({
          type: r.type,
          venue: r.venue,
          aux: r.aux,
          flags: r.flags,
          bytes: Buffer.from(payload).toString('hex'),
        });
      });
      try {
        frames.forEach((f, k) => {
          const recvNs = BigInt(RECV_TS + k * 1000) * 1000n;
          stream.push({ type: FRAME_RECORD_TYPE, venue: venueCode(f.venue), flags: 0, recvNs }, utf8.encode(f.raw));
        });
        stream.pump();
      } finally {
        engine.close();
      }
      return out;
    }
    // Prices on a few scales (a finer one rescales the book), sizes from 0
    // (delete) up, now and then one with no fixed-point form.
    const price = fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 99_00, max: 101_00 }).map((c) => (c / 100).toFixed(2)) },
      { weight: 2, arbitrary: fc.integer({ min: 99_000, max: 101_000 }).map((c) => (c / 1000).toFixed(3)) },
      { weight: 1, arbitrary: fc.constantFrom('100', '99.99999999999', '1e2', '123456789012345678901') },
    );
    const size = fc.oneof(
      { weight: 2, arbitrary: fc.constant('0') },
      { weight: 6, arbitrary: fc.integer({ min: 1, max: 5000 }).map((c) => (c / 100).toString()) },
      { weight: 1, arbitrary: fc.constantFrom('0.000000000001', '92233720368547758') },
    );
    const levels = (min: number, max: number, okx: boolean) =>
      fc
        .array(fc.tuple(price, size), { minLength: min, maxLength: max })
        .map((ls) => `[${ls.map(([p, q]) => (okx ? `["${p}","${q}","0","1"]` : `["${p}","${q}"]`)).join(',')}]`);
    // Checksums are random (so mostly mismatches) or absent (then the levels apply).
    const okxBook = (action: string) =>
      fc
        .tuple(
          levels(0, 8, true),
          levels(0, 8, true),
          fc.option(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { nil: undefined }),
          fc.nat(5),
        )
        .map(
          ([asks, bids, checksum, gap]) =>
            `{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"${action}","data":[{"asks":${asks},"bids":${bids},"ts":"1652459225393"${checksum === undefined ? '' : `,"checksum":${checksum}`},"prevSeqId":PREV${gap},"seqId":SEQ}]}`,
        );
    const coinbaseUpdate = fc
      .array(fc.tuple(fc.constantFrom('buy', 'sell'), price, size), { minLength: 1, maxLength: 4 })
      .map(
        (cs) =>
          `{"type":"l2update","product_id":"BTC-USD","changes":[${cs.map(([s, p, q]) => `["${s}","${p}","${q}"]`).join(',')}],"time":"2021-04-17T16:43:37.078325Z"}`,
      );
    const trade = fc
      .tuple(price, size, fc.boolean())
      .map(
        ([p, q, sell]) =>
          `{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"1","px":"${p}","sz":"${q}","side":"${sell ? 'sell' : 'buy'}","ts":"1652459225400"}]}`,
      );
    const match = fc
      .tuple(price, size)
      .map(
        ([p, q]) =>
          `{"type":"match","trade_id":1,"maker_order_id":"a","taker_order_id":"b","side":"buy","size":"${q}","price":"${p}","product_id":"BTC-USD","sequence":5,"time":"2021-04-17T16:43:37.1Z"}`,
      );
    fc.assert(
      fc.property(
        okxBook('snapshot'),
        fc.array(fc.oneof(okxBook('update'), trade, coinbaseUpdate, match), { maxLength: 12 }),
        levels(1, 6, false),
        levels(1, 6, false),
        (snapshot, rest, cbBids, cbAsks) => {
          // Sequence ids in stream order; one update in six leaves a gap.
          let seq = 100;
          const sequenced = (raw: string) =>
            raw.replace(/PREV(\d)(.*)SEQ/, (_, gap: string, between: string) => {
              const prev = gap === '0' ? seq + 3 : seq;
              seq += 1;
              return `${prev}${between}${seq}`;
            });
          const frames: { venue: VenueId; raw: string }[] = [
            { venue: 'okx', raw: sequenced(snapshot) },
            { venue: 'coinbase', raw: `{"type":"snapshot","product_id":"BTC-USD","bids":${cbBids},"asks":${cbAsks}}` },
          ];
          for (const raw of rest)
            frames.push({ venue: raw.startsWith('{"type"') ? 'coinbase' : 'okx', raw: sequenced(raw) });
          const fast = run(frames);
          const general = run(frames.map((f) => ({ ...f, raw: ` ${f.raw}` })));
          assert.deepStrictEqual(fast, general, frames.map((f) => f.raw).join('\n'));
        },
      ),
      { numRuns: 300 },
    );
  });
});
