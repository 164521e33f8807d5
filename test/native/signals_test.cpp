// Native tests of the signal engine, without Node: a hand-computed table for
// every signal, the event-time bar rules (out of order within lateness, late
// drop / revise, idle watermark, gaps, shutdown flush), valid=false while a
// book is not VALID, and no division by zero reaching the output.
//
// `signals_test --replay [--revise]` is a driver for the differential test
// (test/signals/differential.test.ts): it reads one call per line from stdin,
// runs the engine, and writes every output record (24-byte ring header +
// payload) to stdout. `signals_test --bench` prints the per-event cost.
#include "signals/signals.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "normalize/records.h"

using namespace tickwire;
using namespace tickwire::signals;
using records::kNullTs;

namespace {

int failures = 0;
#define CHECK(cond)                                                                 \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                                   \
    }                                                                               \
  } while (0)

bool near(double a, double b) { return std::fabs(a - b) <= 1e-12 * std::fmax(1.0, std::fabs(b)); }
#define CHECK_NEAR(a, b)                                                                           \
  do {                                                                                             \
    const double a_ = (a), b_ = (b);                                                               \
    if (!near(a_, b_)) {                                                                           \
      std::fprintf(stderr, "%s:%d: %s = %.17g, expected %.17g\n", __FILE__, __LINE__, #a, a_, b_); \
      ++failures;                                                                                  \
    }                                                                                              \
  } while (0)

struct Rec {
  uint16_t type;
  uint16_t venue;
  uint32_t aux;
  uint32_t flags;
  uint64_t recvNs;
  std::vector<uint8_t> payload;
  bool valid() const { return (flags & records::kSignalValid) != 0; }
  template <typename P>
  P as() const {
    P p{};
    if (payload.size() == sizeof(P)) std::memcpy(&p, payload.data(), sizeof(P));
    return p;
  }
};

// An engine writing into a private ring, with every record read back.
struct Harness {
  explicit Harness(const SignalConfig& c = SignalConfig{}, uint32_t capacity = 1u << 20)
      : mem(ring::kHeaderBytes + capacity), engine(c) {
    ring::initialize(mem.data(), mem.size());
    writer = ring::Writer(mem.data(), capacity);
    reader = ring::Reader(mem.data(), capacity);
  }
  std::vector<Rec> drain() {
    writer.flush();
    std::vector<Rec> out;
    ring::RecordView v{};
    while (reader.next(v)) {
      out.push_back(
          Rec{v.type, v.venue, v.aux, v.flags, v.recvNs, std::vector<uint8_t>(v.payload, v.payload + v.length)});
    }
    reader.release();
    return out;
  }
  std::vector<Rec> trade(uint16_t venue, uint32_t sym, int64_t ts, double px, double qty, bool sell = false) {
    engine.onTrade(venue, sym, ts, ts, px, qty, sell, writer);
    return drain();
  }
  std::vector<Rec> top(uint16_t venue, uint32_t sym, int64_t ts, double bp, double bq, double ap, double aq,
                       bool valid = true, int64_t recv = -1) {
    engine.onTop(venue, sym, ts, recv < 0 ? ts : recv, bp, bq, ap, aq, valid, writer);
    return drain();
  }
  static std::vector<Rec> only(const std::vector<Rec>& rs, uint16_t type) {
    std::vector<Rec> out;
    for (const Rec& r : rs) {
      if (r.type == type) out.push_back(r);
    }
    return out;
  }

  std::vector<uint8_t> mem;
  SignalEngine engine;
  ring::Writer writer;
  ring::Reader reader;
};

SignalConfig oneOfEach() {
  SignalConfig c;
  c.tradeWindowsUs = {1'000'000};
  c.emaHalfLivesUs = {1'000'000};
  c.barIntervalsUs = {1'000'000};
  return c;
}

// ------------------------------------------------------------------ bbo
//
// | # | bidPx | bidQty | askPx | askQty | valid | mid    | spreadBps         | microprice         | imbalance |
// |---|-------|--------|-------|--------|-------|--------|-------------------|--------------------|-----------|
// | 1 | 100   | 2      | 101   | 1      | yes   | 100.5  | 99.50248756218905 | 100.66666666666667 | 1/3       |
// | 2 | 100   | 2      | 101   | 1      | yes   | (unchanged: no record)                                       |
// | 3 | 100   | 3      | 100.5 | 1      | yes   | 100.25 | 49.87531172069826 | 100.375            | 0.5       |
// | 4 | 100   | 3      | 0     | 0      | yes   | (one-sided: no record)                                       |
// | 5 | 100   | 0      | 100.5 | 0      | yes   | (no quantity: no record, no division by zero)                |
// | 6 | 100   | 3      | 100.5 | 1      | no    | 100.25 | 49.87531172069826 | 100.375            | 0.5, valid=false |
void bboTable() {
  Harness h(oneOfEach());
  struct Row {
    double bp, bq, ap, aq;
    bool valid;
    bool emits;
    double mid, spreadBps, micro, imbalance;
  };
  const Row rows[] = {
      {100, 2, 101, 1, true, true, 100.5, 99.50248756218905, 100.66666666666667, 1.0 / 3},
      {100, 2, 101, 1, true, false, 0, 0, 0, 0},
      {100, 3, 100.5, 1, true, true, 100.25, 49.87531172069826, 100.375, 0.5},
      {100, 3, 0, 0, true, false, 0, 0, 0, 0},
      {100, 0, 100.5, 0, true, false, 0, 0, 0, 0},
      {100, 3, 100.5, 1, false, true, 100.25, 49.87531172069826, 100.375, 0.5},
  };
  int64_t ts = 1000;
  for (const Row& r : rows) {
    const auto bbo = Harness::only(h.top(1, 7, ts, r.bp, r.bq, r.ap, r.aq, r.valid), records::kSignalBbo);
    ts += 1000;
    CHECK(bbo.size() == (r.emits ? 1u : 0u));
    if (bbo.size() != 1) continue;
    const auto s = bbo[0].as<records::BboSignal>();
    CHECK(bbo[0].venue == 1 && bbo[0].aux == 7);
    CHECK(bbo[0].valid() == r.valid);
    CHECK(s.ts == ts - 1000);
    CHECK_NEAR(s.mid, r.mid);
    CHECK_NEAR(s.spreadBps, r.spreadBps);
    CHECK_NEAR(s.microprice, r.micro);
    CHECK_NEAR(s.imbalance, r.imbalance);
  }
  // No exchange time: the receive time is the event time.
  h.engine.onTop(1, 7, kNullTs, 555, 1, 1, 2, 1, true, h.writer);
  const auto bbo = Harness::only(h.drain(), records::kSignalBbo);
  CHECK(bbo.size() == 1 && bbo[0].as<records::BboSignal>().ts == 555);
}

// ------------------------------------------------------------------ depth_imbalance (N = 5)
//
// | bids (qty, best first) | asks        | Σbid(top 5) | Σask | value               |
// |------------------------|-------------|-------------|------|---------------------|
// | 1 2 3 4 5 6            | 2 2         | 15          | 4    | 11/19 = 0.57894736… |
// | 1 2 3 4 5 7            | 2 2         | (level 6 changed: top 5 unchanged, no record)     |
// | 1                      | 3           | 1           | 3    | -0.5                |
// | (empty)                | (empty)     | 0           | 0    | (no record)         |
void depthTable() {
  Harness h(oneOfEach());
  const double b1[] = {1, 2, 3, 4, 5, 6}, a1[] = {2, 2};
  const double b2[] = {1, 2, 3, 4, 5, 7};
  const double b3[] = {1}, a3[] = {3};
  h.engine.onDepth(3, 1, 10, 10, b1, 6, a1, 2, true, h.writer);
  auto r = Harness::only(h.drain(), records::kSignalDepthImbalance);
  CHECK(r.size() == 1);
  if (r.size() == 1) {
    CHECK(r[0].as<records::DepthImbalanceSignal>().levels == 5);
    CHECK_NEAR(r[0].as<records::DepthImbalanceSignal>().value, 11.0 / 19);
  }
  h.engine.onDepth(3, 1, 11, 11, b2, 6, a1, 2, true, h.writer);
  CHECK(Harness::only(h.drain(), records::kSignalDepthImbalance).empty());
  h.engine.onDepth(3, 1, 12, 12, b3, 1, a3, 1, false, h.writer);
  r = Harness::only(h.drain(), records::kSignalDepthImbalance);
  CHECK(r.size() == 1);
  if (r.size() == 1) {
    CHECK(!r[0].valid());
    CHECK_NEAR(r[0].as<records::DepthImbalanceSignal>().value, -0.5);
  }
  h.engine.onDepth(3, 1, 13, 13, nullptr, 0, nullptr, 0, true, h.writer);
  CHECK(Harness::only(h.drain(), records::kSignalDepthImbalance).empty());
}

// ------------------------------------------------------------------ trade_stats (W = 1 s)
//
// | ts (µs)  | px  | qty | side | window holds    | vwap               | volume | buy | sell | trades | tfi  | rv |
// |----------|-----|-----|------|-----------------|--------------------|--------|-----|------|--------|------|-----------------------|
// | 0        | 100 | 1   | buy  | #1              | 100                | 1      | 1   | 0    | 1      | 1    | 0 | |
// 500000   | 101 | 2   | sell | #1 #2           | 100.66666666666667 | 3      | 1   | 2    | 2      | -1/3 |
// ln(101/100)           | | 1000000  | 102 | 1   | buy  | #2 #3 (#1 = T−W)| 101.33333333333333 | 3      | 1   | 2    |
// 2      | -1/3 | ln(102/101)           | | 0        | 1   | 1   | buy  | (ts <= T−W: outside, same as above) |
//
// Out of order inside the window (ts 0 @100, 200000 @110, then 100000 @105):
// rv = √(ln(105/100)² + ln(110/105)²) = 0.06741358894429825, vwap 105.
void tradeStatsTable() {
  Harness h(oneOfEach());
  struct Row {
    int64_t ts;
    double px, qty;
    bool sell;
    double vwap, volume, buy, sellV;
    uint32_t trades;
    double tfi, rv;
  };
  const Row rows[] = {
      {0, 100, 1, false, 100, 1, 1, 0, 1, 1, 0},
      {500000, 101, 2, true, 100.66666666666667, 3, 1, 2, 2, -1.0 / 3, std::log(101.0 / 100)},
      {1000000, 102, 1, false, 101.33333333333333, 3, 1, 2, 2, -1.0 / 3, std::log(102.0 / 101)},
      {0, 1, 1, false, 101.33333333333333, 3, 1, 2, 2, -1.0 / 3, std::log(102.0 / 101)},
  };
  for (const Row& r : rows) {
    const auto s = Harness::only(h.trade(2, 3, r.ts, r.px, r.qty, r.sell), records::kSignalTradeStats);
    CHECK(s.size() == 1);
    if (s.size() != 1) continue;
    const auto p = s[0].as<records::TradeStatsSignal>();
    CHECK(p.window == 1'000'000);
    CHECK(p.ts == 1000000 || r.ts != 1000000);
    CHECK_NEAR(p.vwap, r.vwap);
    CHECK_NEAR(p.volume, r.volume);
    CHECK_NEAR(p.buyVolume, r.buy);
    CHECK_NEAR(p.sellVolume, r.sellV);
    CHECK(p.trades == r.trades);
    CHECK_NEAR(p.tfi, r.tfi);
    CHECK_NEAR(p.rv, r.rv);
  }
  Harness o(oneOfEach());
  o.trade(1, 1, 0, 100, 1);
  o.trade(1, 1, 200000, 110, 1);
  const auto s = Harness::only(o.trade(1, 1, 100000, 105, 1), records::kSignalTradeStats);
  CHECK(s.size() == 1);
  if (s.size() == 1) {
    const auto p = s[0].as<records::TradeStatsSignal>();
    CHECK(p.ts == 200000 && p.trades == 3);
    CHECK_NEAR(p.vwap, 105);
    CHECK_NEAR(p.rv, 0.06741358894429825);
  }
  // Zero / negative / NaN quantities and prices never reach a division.
  Harness z(oneOfEach());
  CHECK(z.trade(1, 1, 0, 100, 0).empty());
  CHECK(z.trade(1, 1, 0, 0, 1).empty());
  CHECK(z.trade(1, 1, 0, NAN, 1).empty());
  CHECK(z.trade(1, 1, 0, 100, -1).empty());
  CHECK(z.engine.stats().ignoredTrades == 4);
}

// ------------------------------------------------------------------ ema (H = 1 s)
//
// | ts (µs) | px  | Δt        | α                   | value              | record ts |
// |---------|-----|-----------|---------------------|--------------------|-----------|
// | 0       | 100 | –         | (first)             | 100                | 0         |
// | 1000000 | 110 | 1 s       | 0.5                 | 105                | 1000000   |
// | 1500000 | 100 | 0.5 s     | 1−2^−0.5 = 0.29289… | 103.53553390593274 | 1500000   |
// | 1200000 | 200 | <0 → 0    | 0                   | 103.53553390593274 | 1500000   |
void emaTable() {
  Harness h(oneOfEach());
  struct Row {
    int64_t ts;
    double px, value;
    int64_t recTs;
  };
  const Row rows[] = {{0, 100, 100, 0},
                      {1000000, 110, 105, 1000000},
                      {1500000, 100, 103.53553390593274, 1500000},
                      {1200000, 200, 103.53553390593274, 1500000}};
  for (const Row& r : rows) {
    const auto e = Harness::only(h.trade(1, 1, r.ts, r.px, 1), records::kSignalEma);
    CHECK(e.size() == 1);
    if (e.size() != 1) continue;
    const auto p = e[0].as<records::EmaSignal>();
    CHECK(p.halfLife == 1'000'000 && p.ts == r.recTs);
    CHECK_NEAR(p.value, r.value);
  }
}

// ------------------------------------------------------------------ ofi (W = 1 s)
//
// | ts (µs) | bid      | ask        | eₙ (bid part + ask part)          | window sum |
// |---------|----------|------------|-----------------------------------|------------|
// | 0       | 100 × 1  | 101 × 1    | (baseline: no record)             |            |
// | 100000  | 100 × 3  | 101 × 1    | (+3 − 1) + (−1 + 1) = 2           | 2          |
// | 200000  | 101 × 1  | 101.5 × 2  | (+1) + (+1) = 2                   | 4          |
// | 1150000 | 100.5 × 2| 102 × 1    | (−1) + (+2) = 1; #1 leaves window | 3          |
// | 1200000 | book not VALID          | (no ofi; baseline reset)          |            |
// | 1300000 | 100 × 1  | 101 × 1    | (new baseline: no record)         |            |
// | 1400000 | 100 × 2  | 101 × 1    | (+2 − 1) + (−1 + 1) = 1; #2 leaves| 1 + 1 = 2  |
void ofiTable() {
  Harness h(oneOfEach());
  struct Row {
    int64_t ts;
    double bp, bq, ap, aq;
    bool valid;
    bool emits;
    double sum;
  };
  const Row rows[] = {
      {0, 100, 1, 101, 1, true, false, 0},        {100000, 100, 3, 101, 1, true, true, 2},
      {200000, 101, 1, 101.5, 2, true, true, 4},  {1150000, 100.5, 2, 102, 1, true, true, 3},
      {1200000, 100, 9, 101, 9, false, false, 0}, {1300000, 100, 1, 101, 1, true, false, 0},
      {1400000, 100, 2, 101, 1, true, true, 2},
  };
  for (const Row& r : rows) {
    const auto o = Harness::only(h.top(1, 1, r.ts, r.bp, r.bq, r.ap, r.aq, r.valid), records::kSignalOfi);
    CHECK(o.size() == (r.emits ? 1u : 0u));
    if (o.size() != 1) continue;
    const auto p = o[0].as<records::OfiSignal>();
    CHECK(p.ts == r.ts && p.window == 1'000'000 && o[0].valid());
    CHECK_NEAR(p.value, r.sum);
  }
}

// ------------------------------------------------------------------ bars (I = 1 s, lateness 0.5 s)
//
// | arrival | ts (µs) | px | qty | watermark after | bars emitted                                          |
// |---------|---------|----|-----|-----------------|-------------------------------------------------------|
// | 1       | 100000  | 10 | 1   | -400000         |                                                       |
// | 2       | 900000  | 12 | 1   | 400000          |                                                       |
// | 3       | 1200000 | 11 | 2   | 700000          |                                                       |
// | 4       | 1600000 | 13 | 1   | 1100000         | [0,1s) O10 H12 L10 C12 V2 vwap 11 n2                  |
// | 5       | 1300000 | 9  | 1   | 1100000         | (out of order, within lateness: joins [1s,2s))        |
// | 6       | 2600000 | 14 | 1   | 2100000         | [1s,2s) O11 H13 L9 C13 V4 vwap 11 n3 (sorted by ts)   |
// | 7       | 1500000 | 20 | 5   | 2100000         | late: drop → counted; revise → [1s,2s) O11 H20 L9 C13 V9 vwap 16
// n4 rev 1 | | idle    | clock +1.9 s        | –               | (idle < 2 s: nothing) | | idle    | clock +2.0 s
// | 2.6+2.0−0.5=4.1 s | [2s,3s) O14 H14 L14 C14 V1 n1, emitTs = clock      | | 8       | 5200000 | 15 | 1   | | (gap
// [3s,5s): no bars)                                | | flush   |         |    |     | 5.2 s           | (bar [5s,6s)
// holds the last trade: incomplete, not emitted) |
struct BarRow {
  int64_t start;
  double open, high, low, close, volume, vwap;
  uint32_t trades, revision;
};
void checkBar(const Rec& r, const BarRow& b) {
  const auto p = r.as<records::BarSignal>();
  CHECK(r.type == records::kSignalBar);
  CHECK(p.start == b.start && p.ts == b.start && p.end == b.start + 1'000'000 && p.interval == 1'000'000);
  CHECK_NEAR(p.open, b.open);
  CHECK_NEAR(p.high, b.high);
  CHECK_NEAR(p.low, b.low);
  CHECK_NEAR(p.close, b.close);
  CHECK_NEAR(p.volume, b.volume);
  CHECK_NEAR(p.vwap, b.vwap);
  CHECK(p.trades == b.trades);
  CHECK(p.revision == b.revision);
}

void barsTable(LatePolicy policy) {
  SignalConfig c = oneOfEach();
  c.latePolicy = policy;
  Harness h(c);
  h.engine.setNow(10'000'000);
  auto bars = [&](int64_t ts, double px, double qty) {
    return Harness::only(h.trade(1, 1, ts, px, qty), records::kSignalBar);
  };
  CHECK(bars(100000, 10, 1).empty());
  CHECK(bars(900000, 12, 1).empty());
  CHECK(bars(1200000, 11, 2).empty());
  auto b = bars(1600000, 13, 1);
  CHECK(b.size() == 1);
  if (b.size() == 1) checkBar(b[0], {0, 10, 12, 10, 12, 2, 11, 2, 0});
  CHECK(bars(1300000, 9, 1).empty());
  b = bars(2600000, 14, 1);
  CHECK(b.size() == 1);
  if (b.size() == 1) checkBar(b[0], {1000000, 11, 13, 9, 13, 4, 11, 3, 0});
  b = bars(1500000, 20, 5);
  CHECK(h.engine.stats().lateTrades == 1);
  if (policy == LatePolicy::Drop) {
    CHECK(b.empty());
    CHECK(h.engine.stats().lateDropped == 1);
  } else {
    CHECK(b.size() == 1);
    if (b.size() == 1) checkBar(b[0], {1000000, 11, 20, 9, 13, 9, 16, 4, 1});
  }
  // Idle watermark, from the state after arrival 6.
  Harness i(c);
  i.engine.setNow(10'000'000);
  i.trade(1, 1, 2'600'000, 14, 1);
  i.engine.advanceIdle(11'900'000, i.writer);
  CHECK(i.drain().empty());
  i.engine.advanceIdle(12'000'000, i.writer);
  auto idle = i.drain();
  CHECK(idle.size() == 1);
  if (idle.size() == 1) {
    checkBar(idle[0], {2000000, 14, 14, 14, 14, 1, 14, 1, 0});
    CHECK(idle[0].as<records::BarSignal>().emitTs == 12'000'000);
  }
  // After a gap the next trade emits no bars for the empty intervals.
  i.engine.setNow(13'000'000);
  CHECK(Harness::only(i.trade(1, 1, 5'200'000, 15, 1), records::kSignalBar).empty());
  i.engine.flush(i.writer);
  CHECK(i.drain().empty());
}

// Policy revise, spelled out. After trades at 2.6 s and 5 s (watermark 4.5 s)
// bar [2s,3s) is final and [4s,5s) is open:
// | late trade | its bar   | bar state         | outcome                                        |
// |------------|-----------|-------------------|------------------------------------------------|
// | 4.2 s @ 8  | [4s,5s)   | open              | merged in order; emitted with it, revision 0   |
// | 3.1 s @ 7  | [3s,4s)   | final, no trades  | new bar O=H=L=C=7 V2 n1, revision 1            |
// | 3.2 s @ 9  | [3s,4s)   | final (revised)   | O7 H9 L7 C9 V3 vwap 23/3 n2, revision 2         |
// | 5 s (at watermark 99.5 s) | [5s,6s) | past the 60 s horizon | dropped, counted          |
void reviseGapBar() {
  SignalConfig c = oneOfEach();
  c.latePolicy = LatePolicy::Revise;
  Harness h(c);
  h.trade(1, 1, 2'600'000, 14, 1);
  auto b = Harness::only(h.trade(1, 1, 5'000'000, 30, 1), records::kSignalBar);
  CHECK(b.size() == 1);
  if (b.size() == 1) checkBar(b[0], {2000000, 14, 14, 14, 14, 1, 14, 1, 0});
  CHECK(Harness::only(h.trade(1, 1, 4'200'000, 8, 1), records::kSignalBar).empty());
  b = Harness::only(h.trade(1, 1, 3'100'000, 7, 2), records::kSignalBar);
  CHECK(b.size() == 1);
  if (b.size() == 1) checkBar(b[0], {3000000, 7, 7, 7, 7, 2, 7, 1, 1});
  b = Harness::only(h.trade(1, 1, 3'200'000, 9, 1), records::kSignalBar);
  CHECK(b.size() == 1);
  if (b.size() == 1) checkBar(b[0], {3000000, 7, 9, 7, 9, 3, 23.0 / 3, 2, 2});
  b = Harness::only(h.trade(1, 1, 5'600'000, 31, 1), records::kSignalBar);  // watermark 5.1 s
  CHECK(b.size() == 1);
  if (b.size() == 1) checkBar(b[0], {4000000, 8, 8, 8, 8, 1, 8, 1, 0});
  CHECK(h.engine.stats().lateTrades == 3 && h.engine.stats().barRevisions == 2);
  // Beyond the revise horizon (60 s): counted as dropped, nothing emitted.
  h.trade(1, 1, 100'000'000, 30, 1);
  b = Harness::only(h.trade(1, 1, 5'000'000, 7, 2), records::kSignalBar);
  CHECK(b.empty());
  CHECK(h.engine.stats().lateDropped == 1);
}

// Bars are invariant under any arrival order within the allowed lateness:
// deterministic pseudo-random streams, each shuffled by bounded displacement,
// must give byte-identical bar payloads (emitTs fixed) to the sorted stream.
void barsInvariantUnderReordering() {
  uint64_t seed = 0x9e3779b97f4a7c15ull;
  auto rnd = [&seed]() {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  for (int round = 0; round < 50; ++round) {
    struct T {
      int64_t ts;
      double px, qty;
    };
    std::vector<T> sorted;
    int64_t ts = 0;
    for (int k = 0; k < 200; ++k) {
      ts += static_cast<int64_t>(rnd() % 60'000);
      sorted.push_back(
          {ts, 100 + static_cast<double>(rnd() % 1000) / 100, 0.001 * static_cast<double>(1 + rnd() % 5000)});
    }
    // Shuffle: each trade arrives with a delay of up to the lateness (0.5 s) in event time.
    std::vector<std::pair<int64_t, size_t>> arrival;
    for (size_t k = 0; k < sorted.size(); ++k)
      arrival.push_back({sorted[k].ts + static_cast<int64_t>(rnd() % 500'000), k});
    std::stable_sort(arrival.begin(), arrival.end(), [](auto& a, auto& b) { return a.first < b.first; });
    auto run = [&](bool shuffled) {
      SignalConfig c = oneOfEach();
      Harness h(c);
      std::vector<std::vector<uint8_t>> out;
      for (size_t k = 0; k < sorted.size(); ++k) {
        const T& t = shuffled ? sorted[arrival[k].second] : sorted[k];
        for (const Rec& r : Harness::only(h.trade(1, 1, t.ts, t.px, t.qty), records::kSignalBar))
          out.push_back(r.payload);
      }
      h.engine.flush(h.writer);
      for (const Rec& r : h.drain()) out.push_back(r.payload);
      CHECK(h.engine.stats().lateTrades == 0);
      return out;
    };
    const auto a = run(false);
    const auto b = run(true);
    CHECK(a == b);
    CHECK(!a.empty());
  }
}

// ------------------------------------------------------------------ nbbo
//
// | step | event                                   | bid (venue)   | ask (venue) | crossed | crossBps          |
// |------|-----------------------------------------|---------------|-------------|---------|-------------------|
// | 1    | binance 100×1 / 101×1 (recv 0)          | 100×1 (1)     | 101×1 (1)   | no      | 0                 |
// | 2    | coinbase 100.5×2 / 101.5×1 (recv 1 s)   | 100.5×2 (3)   | 101×1 (1)   | no      | 0                 |
// | 3    | kraken 102×1 / 103×1 (recv 2 s)         | 102×1 (5)     | 101×1 (1)   | yes     | 99.00990099009901 |
// | 4    | kraken book not VALID (onBookState)     | 100.5×2 (3)   | 101×1 (1)   | no      | 0                 |
// | 5    | coinbase 100.5×2 / 101.5×1 (recv 6 s)   | binance stale (recv 0 < 6 s − 5 s): 100.5×2 (3) | 101.5×1 (3) |
// | 6    | binance 100.5×2 / 101×1 (recv 6.1 s)    | tie at 100.5×2 → lower venue code: (1) | 101×1 (1) |
void nbboTable() {
  Harness h(oneOfEach());
  struct Exp {
    double bid, bidQty;
    uint16_t bidVenue;
    double ask, askQty;
    uint16_t askVenue;
    bool crossed;
    double crossBps;
  };
  auto nbbo = [](const std::vector<Rec>& rs, const Exp& e) {
    const auto n = Harness::only(rs, records::kSignalNbbo);
    CHECK(n.size() == 1);
    if (n.size() != 1) return;
    const auto p = n[0].as<records::NbboSignal>();
    CHECK(n[0].venue == 0 && n[0].aux == 9 && n[0].valid());
    CHECK_NEAR(p.bidPx, e.bid);
    CHECK_NEAR(p.bidQty, e.bidQty);
    CHECK(p.bidVenue == e.bidVenue);
    CHECK_NEAR(p.askPx, e.ask);
    CHECK_NEAR(p.askQty, e.askQty);
    CHECK(p.askVenue == e.askVenue);
    CHECK((p.crossed != 0) == e.crossed);
    CHECK_NEAR(p.crossBps, e.crossBps);
  };
  nbbo(h.top(1, 9, 0, 100, 1, 101, 1, true, 0), {100, 1, 1, 101, 1, 1, false, 0});
  nbbo(h.top(3, 9, 1, 100.5, 2, 101.5, 1, true, 1'000'000), {100.5, 2, 3, 101, 1, 1, false, 0});
  nbbo(h.top(5, 9, 2, 102, 1, 103, 1, true, 2'000'000), {102, 1, 5, 101, 1, 1, true, 99.00990099009901});
  h.engine.onBookState(5, 9, false, h.writer);
  nbbo(h.drain(), {100.5, 2, 3, 101, 1, 1, false, 0});
  nbbo(h.top(3, 9, 3, 100.5, 2, 101.5, 1, true, 6'000'000), {100.5, 2, 3, 101.5, 1, 3, false, 0});
  nbbo(h.top(1, 9, 4, 100.5, 2, 101, 1, true, 6'100'000), {100.5, 2, 1, 101, 1, 1, false, 0});
  // Unchanged consolidated quote: no record.
  CHECK(Harness::only(h.top(5, 9, 5, 100, 1, 104, 1, false, 6'200'000), records::kSignalNbbo).empty());
}

// ------------------------------------------------------------------ basis
//
// | event                                   | per venue (binance)                    | consolidated        |
// |-----------------------------------------|----------------------------------------|---------------------|
// | BTC-USDT on binance 100 / 102 (mid 101) | (no perp yet)                          | (no perp yet)       |
// | BTC-USDT-PERP on binance-futures 101/103| spot 101, perp 102, 99.00990099009901  | same (one venue each) |
// | binance-futures book not VALID          | valid=false, same mids                 | perp nbbo empty → valid=false |
void basisTable() {
  Harness h(oneOfEach());
  h.engine.setSymbolText(2, "BTC-USDT-PERP");  // interned before its spot symbol: still paired
  h.engine.setSymbolText(1, "BTC-USDT");
  CHECK(Harness::only(h.top(1, 1, 10, 100, 1, 102, 1), records::kSignalBasis).empty());
  const auto rs = h.top(2, 2, 20, 101, 1, 103, 1);
  const auto b = Harness::only(rs, records::kSignalBasis);
  CHECK(b.size() == 2);
  if (b.size() == 2) {
    // consolidated first (venue 0), then the venue pair.
    CHECK(b[0].venue == 0 && b[0].aux == 1 && b[0].valid());
    CHECK(b[1].venue == 1 && b[1].aux == 1 && b[1].valid());
    for (const Rec& r : b) {
      const auto p = r.as<records::BasisSignal>();
      CHECK_NEAR(p.spotMid, 101);
      CHECK_NEAR(p.perpMid, 102);
      CHECK_NEAR(p.bps, 99.00990099009901);
      CHECK(p.perpSymbol == 2 && p.ts == 20);
    }
    CHECK(b[1].as<records::BasisSignal>().spotVenue == 1 && b[1].as<records::BasisSignal>().perpVenue == 2);
  }
  h.engine.onBookState(2, 2, false, h.writer);
  const auto inv = Harness::only(h.drain(), records::kSignalBasis);
  CHECK(inv.size() == 2);
  for (const Rec& r : inv) CHECK(!r.valid());
}

// ------------------------------------------------------------------ valid flag
void validFollowsBookState() {
  Harness h(oneOfEach());
  h.engine.setNow(1);
  auto rs = h.trade(1, 4, 0, 100, 1);  // no book known: trade signals are valid
  for (const Rec& r : rs) CHECK(r.valid());
  h.engine.onBookState(1, 4, false);
  rs = h.trade(1, 4, 2'000'000, 101, 1);  // closes bar [0,1s) too
  CHECK(rs.size() == 3);
  for (const Rec& r : rs) CHECK(!r.valid());
  rs = h.top(1, 4, 2'000'001, 100, 1, 101, 1, false);
  CHECK(rs.size() == 1 && rs[0].type == records::kSignalBbo && !rs[0].valid());  // no nbbo from an invalid book
  h.engine.onBookState(1, 4, true);
  rs = h.trade(1, 4, 2'000'002, 101, 1);
  for (const Rec& r : rs) CHECK(r.valid());
}

void lostRecordsAreCounted() {
  SignalConfig c = oneOfEach();
  c.tradeWindowsUs = {1'000'000, 2'000'000};
  Harness h(c, 256);  // 256 bytes: two trade_stats records fit, the ema record does not
  h.engine.onTrade(1, 1, 0, 0, 100, 1, false, h.writer);
  CHECK(h.engine.lostRecords() > 0);
  CHECK(h.engine.stats().records == 2 && h.engine.lostRecords() == 1);
}

// ------------------------------------------------------------------ replay driver

int replay(bool revise) {
  SignalConfig c;
  if (revise) c.latePolicy = LatePolicy::Revise;
  const uint32_t cap = 1u << 22;
  std::vector<uint8_t> mem(ring::kHeaderBytes + cap);
  ring::initialize(mem.data(), mem.size());
  ring::Writer w(mem.data(), cap);
  ring::Reader r(mem.data(), cap);
  SignalEngine e(c);
  std::vector<double> bids, asks;
  char line[1 << 16];
  auto tsOf = [](const char* s) { return std::strcmp(s, "null") == 0 ? kNullTs : std::strtoll(s, nullptr, 10); };
  while (std::fgets(line, sizeof line, stdin) != nullptr) {
    std::vector<char*> f;
    for (char* tok = std::strtok(line, " \n"); tok != nullptr; tok = std::strtok(nullptr, " \n")) f.push_back(tok);
    if (f.empty()) continue;
    const std::string cmd = f[0];
    auto u16 = [&](size_t i) { return static_cast<uint16_t>(std::strtoul(f[i], nullptr, 10)); };
    auto u32 = [&](size_t i) { return static_cast<uint32_t>(std::strtoul(f[i], nullptr, 10)); };
    auto i64 = [&](size_t i) { return static_cast<int64_t>(std::strtoll(f[i], nullptr, 10)); };
    auto dbl = [&](size_t i) { return std::strtod(f[i], nullptr); };
    if (cmd == "now") {
      e.setNow(i64(1));
    } else if (cmd == "sym") {
      e.setSymbolText(u32(1), f[2]);
    } else if (cmd == "trade") {
      e.onTrade(u16(1), u32(2), tsOf(f[3]), i64(4), dbl(5), dbl(6), f[7][0] == '1', w);
    } else if (cmd == "top") {
      e.onTop(u16(1), u32(2), tsOf(f[3]), i64(4), dbl(5), dbl(6), dbl(7), dbl(8), f[9][0] == '1', w);
    } else if (cmd == "depth") {
      size_t i = 6;
      bids.clear();
      asks.clear();
      const size_t nb = std::strtoul(f[i++], nullptr, 10);
      for (size_t k = 0; k < nb; ++k) bids.push_back(dbl(i++));
      const size_t na = std::strtoul(f[i++], nullptr, 10);
      for (size_t k = 0; k < na; ++k) asks.push_back(dbl(i++));
      e.onDepth(u16(1), u32(2), tsOf(f[3]), i64(4), bids.data(), nb, asks.data(), na, f[5][0] == '1', w);
    } else if (cmd == "state") {
      e.onBookState(u16(1), u32(2), f[3][0] == '1');
    } else if (cmd == "statew") {
      e.onBookState(u16(1), u32(2), f[3][0] == '1', w);
    } else if (cmd == "idle") {
      e.advanceIdle(i64(1), w);
    } else if (cmd == "flush") {
      e.flush(w);
    }
    w.flush();
    ring::RecordView v{};
    while (r.next(v)) {
      const uint8_t* rec = v.payload - ring::kRecordHeaderBytes;
      std::fwrite(rec, 1, ring::kRecordHeaderBytes + v.length, stdout);
    }
    r.release();
  }
  std::fflush(stdout);
  return e.lostRecords() == 0 ? 0 : 1;
}

// ------------------------------------------------------------------ timing

void bench(bool print) {
  SignalConfig c;  // defaults: 2 windows, 2 EMAs, 2 bar intervals
  const uint32_t cap = 1u << 24;
  std::vector<uint8_t> mem(ring::kHeaderBytes + cap);
  ring::initialize(mem.data(), mem.size());
  ring::Writer w(mem.data(), cap);
  ring::Reader r(mem.data(), cap);
  SignalEngine e(c);
  e.setSymbolText(0, "BTC-USDT");
  e.setSymbolText(1, "BTC-USDT-PERP");
  auto drain = [&] {
    w.flush();
    ring::RecordView v{};
    while (r.next(v)) {
    }
    r.release();
  };
  const int n = 200'000;
  uint64_t x = 88172645463325252ull;
  auto rnd = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return static_cast<double>(x % 1000) / 1000;
  };
  // Thread CPU time, not wall time: the machine may be shared.
  auto cpuNs = [] {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
  };
  // Trades: 1000 trades/s of event time, so the 60 s window holds ~60k trades.
  // The first pass warms the windows and the ring's pages; the second is timed.
  int64_t ts = 0;
  double tradeNs = 0;
  double topNs = 0;
  for (int pass = 0; pass < 2; ++pass) {
    const int64_t first = ts;
    const double t0 = cpuNs();
    for (int i = 0; i < n; ++i, ts += 1000) {
      e.setNow(ts);
      e.onTrade(1, 0, ts, ts, 100 + rnd(), 0.1 + rnd(), (i & 1) != 0, w);
      if ((i & 255) == 0) drain();
    }
    const double t1 = cpuNs();
    ts = first;
    for (int i = 0; i < n; ++i, ts += 1000) {
      const double b = 100 + rnd();
      e.setNow(ts);
      e.onTop(static_cast<uint16_t>(1 + (i & 1)), static_cast<uint32_t>(i & 1), ts, ts, b, 1 + rnd(), b + 0.01,
              1 + rnd(), true, w);
      if ((i & 255) == 0) drain();
    }
    const double t2 = cpuNs();
    tradeNs = (t1 - t0) / n;
    topNs = (t2 - t1) / n;
  }
  drain();
  CHECK(e.lostRecords() == 0);
  if (print)
    std::printf("signals_test: onTrade %.0f ns/event, onTop %.0f ns/event (records %llu)\n", tradeNs, topNs,
                static_cast<unsigned long long>(e.stats().records));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--replay") == 0)
    return replay(argc > 2 && std::strcmp(argv[2], "--revise") == 0);
  if (argc > 1 && std::strcmp(argv[1], "--bench") == 0) {
    bench(true);
    return failures == 0 ? 0 : 1;
  }
  bboTable();
  depthTable();
  tradeStatsTable();
  emaTable();
  ofiTable();
  barsTable(LatePolicy::Drop);
  barsTable(LatePolicy::Revise);
  reviseGapBar();
  barsInvariantUnderReordering();
  nbboTable();
  basisTable();
  validFollowsBookState();
  lostRecordsAreCounted();
  bench(true);
  if (failures != 0) {
    std::fprintf(stderr, "signals_test: %d check(s) failed\n", failures);
    return 1;
  }
  std::printf("signals_test: all checks passed\n");
  return 0;
}
