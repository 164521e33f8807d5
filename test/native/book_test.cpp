// Native tests of the L2 book and the per-venue sync rules, without Node:
// checksum vectors from the venues' documentation, and hand-built sequences
// for every verdict. The recorded fixture sequences run end to end through the
// engine in test/book/*.test.ts.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <string_view>
#include <vector>

#include "book/books.h"
#include "book/crc32.h"
#include "book/sync.h"

using namespace tickwire;
using namespace tickwire::book;

namespace {

int failures = 0;
#define CHECK(cond)                                                                 \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                                   \
    }                                                                               \
  } while (0)

norm::Fixed dec(std::string_view s) {
  norm::Fixed f;
  const auto status = norm::parseFixed(s, false, f);
  if (status != norm::NumStatus::Ok) std::fprintf(stderr, "bad decimal in test: %.*s\n", int(s.size()), s.data());
  return f;
}

struct Updates {
  std::vector<LevelUpdate> levels;
  Updates& bid(std::string_view px, std::string_view qty) {
    levels.push_back({true, dec(px), dec(qty)});
    return *this;
  }
  Updates& ask(std::string_view px, std::string_view qty) {
    levels.push_back({false, dec(px), dec(qty)});
    return *this;
  }
  BookUpdate snapshot(int64_t seq = 0, bool hasSeq = false) const {
    BookUpdate u;
    u.snapshot = true;
    u.hasSeq = hasSeq;
    u.seq = seq;
    u.levels = levels.data();
    u.count = static_cast<uint32_t>(levels.size());
    return u;
  }
  BookUpdate delta(int64_t seq, int64_t prevSeq) const {
    BookUpdate u;
    u.hasSeq = u.hasPrevSeq = true;
    u.seq = seq;
    u.prevSeq = prevSeq;
    u.levels = levels.data();
    u.count = static_cast<uint32_t>(levels.size());
    return u;
  }
};

void crcMatchesZlib() {
  CHECK(crc32("123456789", 9) == 0xCBF43926u);
  CHECK(crc32("", 0) == 0);
}

void krakenDocExampleChecksum() {
  // docs.kraken.com book-checksum-v2 worked example (fixtures: kraken-v2/book.jsonl).
  Updates s;
  s.bid("45283.5", "0.10000000").bid("45283.4", "1.54582015").bid("45282.1", "0.10000000");
  s.bid("45281.0", "0.10000000").bid("45280.3", "1.54592586").bid("45279.0", "0.07990000");
  s.bid("45277.6", "0.03310103").bid("45277.5", "0.30000000").bid("45277.3", "1.54602737");
  s.bid("45276.6", "0.15445238");
  s.ask("45285.2", "0.00100000").ask("45286.4", "1.54571953").ask("45286.6", "1.54571109");
  s.ask("45289.6", "1.54560911").ask("45290.2", "0.15890660").ask("45291.8", "1.54553491");
  s.ask("45294.7", "0.04454749").ask("45296.1", "0.35380000").ask("45297.5", "0.09945542");
  s.ask("45299.5", "0.18772827");
  BookSync sync(SyncRule::Kraken, 10);
  BookUpdate u = s.snapshot();
  u.hasChecksum = true;
  u.checksum = 3310070434;
  CHECK(sync.onUpdate(u) == Verdict::Snapshot);
  CHECK(sync.book().krakenChecksum() == 3310070434u);
  CHECK(sync.state() == BookState::Valid);
  u.checksum = 3310070435;
  CHECK(sync.onUpdate(u) == Verdict::ChecksumMismatch);
  CHECK(sync.state() == BookState::Resyncing);
  CHECK(sync.takeResyncRequest());
  CHECK(!sync.takeResyncRequest());
}

void okxDocSampleChecksum() {
  // OKX sample check string "3366.1:7:3366.8:9:3366:6:3368:8" (VENUES.md §8).
  Updates s;
  s.bid("3366.1", "7").bid("3366", "6").ask("3366.8", "9").ask("3368", "8");
  BookSync sync(SyncRule::Okx, 0);
  CHECK(sync.onUpdate(s.snapshot()) == Verdict::Snapshot);
  CHECK(sync.book().okxChecksum() == -1881014294);
}

void binanceSpotRules() {
  BookSync sync(SyncRule::BinanceSpot, 0);
  Updates early;
  early.bid("1.00", "5");
  CHECK(sync.onUpdate(early.delta(99, 94)) == Verdict::Buffered);  // before the REST snapshot
  CHECK(sync.state() == BookState::Syncing);
  Updates snap;
  snap.bid("1.00", "1").ask("1.10", "2");
  CHECK(sync.onUpdate(snap.snapshot(100, true)) == Verdict::Snapshot);  // replays: 99 <= 100 → skipped
  CHECK(sync.book().bids().at(0).qty == 1);
  Updates d;
  d.bid("1.01", "3");
  CHECK(sync.onUpdate(d.delta(100, 95)) == Verdict::Discard);
  CHECK(sync.onUpdate(d.delta(105, 100)) == Verdict::ApplyFirst);  // U=101 <= 101 <= u
  CHECK(sync.book().bids().at(0).px == 101);
  CHECK(sync.onUpdate(d.delta(110, 105)) == Verdict::Apply);
  CHECK(sync.onUpdate(d.delta(120, 111)) == Verdict::Gap);  // U=112 > 111
  CHECK(sync.state() == BookState::Resyncing);
  CHECK(sync.takeResyncRequest());
  CHECK(sync.onUpdate(d.delta(125, 120)) == Verdict::Buffered);
}

void binanceFuturesUsesPu() {
  BookSync sync(SyncRule::BinanceFutures, 0);
  Updates snap, d;
  snap.bid("10", "1").ask("11", "1");
  d.ask("12", "4");
  CHECK(sync.onUpdate(snap.snapshot(1000, true)) == Verdict::Snapshot);
  CHECK(sync.onUpdate(d.delta(990, 980)) == Verdict::Discard);
  CHECK(sync.onUpdate(d.delta(1005, 990)) == Verdict::ApplyFirst);
  CHECK(sync.onUpdate(d.delta(1010, 1005)) == Verdict::Apply);
  CHECK(sync.onUpdate(d.delta(1020, 1011)) == Verdict::Gap);
}

void bybitAndOkxContinuity() {
  Updates snap, d;
  snap.bid("77.300", "1347.2").ask("77.310", "212.6");
  d.bid("77.290", "5");
  BookSync bybit(SyncRule::Bybit, 0);
  CHECK(bybit.onUpdate(snap.snapshot(10, true)) == Verdict::Snapshot);
  CHECK(bybit.onUpdate(d.delta(11, 0)) == Verdict::Apply);
  CHECK(bybit.onUpdate(d.delta(13, 0)) == Verdict::Gap);
  CHECK(bybit.onUpdate(d.delta(14, 0)) == Verdict::Discard);           // nothing applies until a snapshot
  CHECK(bybit.onUpdate(snap.snapshot(1, true)) == Verdict::Snapshot);  // u=1: service restart
  CHECK(bybit.state() == BookState::Valid);

  BookSync okx(SyncRule::Okx, 0);
  CHECK(okx.onUpdate(snap.snapshot(10, true)) == Verdict::Snapshot);
  CHECK(okx.onUpdate(d.delta(15, 10)) == Verdict::Apply);
  CHECK(okx.onUpdate(d.delta(15, 15)) == Verdict::Apply);  // keep-alive
  CHECK(okx.onUpdate(d.delta(3, 15)) == Verdict::Apply);   // maintenance reset
  CHECK(okx.onUpdate(d.delta(9, 4)) == Verdict::Gap);
}

void crossedBookIsAnIntegrityFailure() {
  BookSync sync(SyncRule::Coinbase, 0);
  Updates snap, cross;
  snap.bid("100", "1").ask("101", "1");
  cross.bid("101", "2");
  CHECK(sync.onUpdate(snap.snapshot()) == Verdict::Snapshot);
  CHECK(sync.onUpdate(cross.delta(0, 0)) == Verdict::Crossed);
  CHECK(sync.state() == BookState::Resyncing);
}

void scalesGrowWithoutLosingLevels() {
  L2Book book;
  CHECK(book.apply(true, dec("100.5"), dec("2")) == ApplyStatus::Ok);
  CHECK(book.apply(true, dec("100.25"), dec("0.125")) == ApplyStatus::Ok);
  CHECK(book.pxScale() == 2 && book.qtyScale() == 3);
  CHECK(book.bids().at(0).px == 10050 && book.bids().at(0).qty == 2000);
  CHECK(book.bids().at(1).px == 10025 && book.bids().at(1).qty == 125);
  CHECK(book.apply(true, dec("100.50"), dec("0")) == ApplyStatus::Ok);  // "100.50" == "100.5"
  CHECK(book.bids().size() == 1);
  CHECK(book.apply(true, dec("1e-30"), dec("1")) == ApplyStatus::Overflow);
}

void depthIsTruncatedToTheSubscribedDepth() {
  BookSync sync(SyncRule::Kraken, 3, 16);
  Updates snap;
  for (int i = 0; i < 6; ++i) {
    char px[16];
    std::snprintf(px, sizeof px, "%d.0", 100 - i);
    snap.bid(px, "1");
  }
  CHECK(sync.onUpdate(snap.snapshot()) == Verdict::Snapshot);
  CHECK(sync.book().bids().size() == 3);
  CHECK(sync.book().bids().at(2).px == 980);
}

// The side as a sorted map would hold it, best first.
template <typename Compare>
bool sameLevels(const BookSide& side, const std::map<int64_t, int64_t, Compare>& ref) {
  if (side.size() != ref.size()) return false;
  size_t i = 0;
  for (const auto& [px, qty] : ref) {
    if (side.at(i).px != px || side.at(i).qty != qty) return false;
    ++i;
  }
  return true;
}

// BookSide::set() against a std::map over random updates: at every depth
// (the scanned blocks near the top, the gallop below them), on sides smaller
// than a block, with extreme prices next to the side's sentinels, and after
// load() and truncate().
template <typename Compare>
void sideMatchesAMap(bool bids, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const auto below = [&](uint64_t n) { return n == 0 ? 0 : static_cast<int64_t>(rng() % n); };
  for (const size_t startLevels : {0, 3, 15, 16, 17, 40, 70, 1000}) {
    BookSide side(bids);
    std::map<int64_t, int64_t, Compare> ref;
    std::vector<Level> snapshot;
    for (size_t i = 0; i < startLevels; ++i)
      snapshot.push_back(Level{1'000'000 + 2 * below(2 * startLevels), 1 + below(9)});
    for (const Level& l : snapshot) {
      if (l.qty != 0) ref[l.px] = l.qty;
    }
    side.load(snapshot);
    CHECK(sameLevels(side, ref));
    for (int op = 0; op < 4000; ++op) {
      int64_t px;
      const int64_t kind = below(100);
      if (kind < 50 && !ref.empty()) {
        // An existing level, mostly near the top.
        auto it = ref.begin();
        std::advance(it, below(kind < 30 ? std::min<uint64_t>(ref.size(), 24) : ref.size()));
        px = it->first;
        if (kind % 3 == 0 && px != INT64_MAX) ++px;  // or just beside it
      } else if (kind < 95) {
        px = 1'000'000 + below(4 * startLevels + 64);
      } else {
        const int64_t extremes[] = {INT64_MIN, INT64_MIN + 1, -1, 0, INT64_MAX - 1, INT64_MAX};
        px = extremes[below(6)];
      }
      const int64_t qty = below(4) == 0 ? 0 : 1 + below(1000);
      side.set(px, qty);
      if (qty == 0) {
        ref.erase(px);
      } else {
        ref[px] = qty;
      }
      if (below(500) == 0) {
        const size_t depth = static_cast<size_t>(below(ref.size() + 2));
        side.truncate(depth);
        while (ref.size() > depth) ref.erase(std::prev(ref.end()));
      }
      if (!sameLevels(side, ref)) {
        std::fprintf(stderr, "side differs: bids=%d start=%zu op=%d px=%lld qty=%lld\n", bids, startLevels, op,
                     static_cast<long long>(px), static_cast<long long>(qty));
        ++failures;
        break;
      }
    }
  }
}

// The same levels, level by level, on one side; and on both sides at the same scales.
void checkSameSide(const BookSide& a, const BookSide& b) {
  CHECK(a.size() == b.size());
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) CHECK(a.at(i).px == b.at(i).px && a.at(i).qty == b.at(i).qty);
}
void checkSameBook(const L2Book& a, const L2Book& b) {
  CHECK(a.pxScale() == b.pxScale() && a.qtyScale() == b.qtyScale());
  checkSameSide(a.bids(), b.bids());
  checkSameSide(a.asks(), b.asks());
}

// L2Book::apply() of a batch is apply() of each level in turn, up to and
// including the first that overflows.
void batchApplyIsApplyOneByOne() {
  std::mt19937_64 rng(7);
  const auto below = [&](uint64_t n) { return static_cast<int64_t>(rng() % n); };
  for (int round = 0; round < 300; ++round) {
    L2Book batch(64), single(64);
    std::vector<norm::BookLevel> levels;
    const int64_t count = below(40);
    for (int64_t i = 0; i < count; ++i) {
      norm::BookLevel l{below(2) == 0, {}, {}};
      // Mostly one scale, now and then a finer one (a rescale) or a value the book cannot hold.
      l.px.exponent = static_cast<int8_t>(below(10) == 0 ? -below(4) - 2 : -2);
      l.px.mantissa = 10'000 + below(50) * (l.px.exponent == -2 ? 1 : 10);
      l.qty.exponent = static_cast<int8_t>(below(8) == 0 ? -below(6) : -3);
      l.qty.mantissa = below(3) == 0 ? 0 : below(5000);
      if (below(60) == 0) l.px.exponent = INT8_MIN;
      if (below(60) == 0) l.qty.exponent = -19;
      if (below(60) == 0) l.px.mantissa = INT64_MAX / 3;
      levels.push_back(l);
    }
    ApplyStatus expected = ApplyStatus::Ok;
    for (const norm::BookLevel& l : levels) {
      expected = single.apply(l.bid, l.px, l.qty);
      if (expected != ApplyStatus::Ok) break;
    }
    CHECK(batch.apply(levels.data(), levels.size()) == expected);
    checkSameBook(batch, single);
  }
}

// The same with batches as venues send them: each side best first in runs of
// neighbouring prices, on and off the book's levels, with removals, new levels
// and removals of absent levels, so that the batch's guess of the next level
// (BookSide::set()) is taken, missed, and kept right across inserts and erases.
void bestFirstBatchesAreApplyOneByOne() {
  std::mt19937_64 rng(11);
  const auto below = [&](uint64_t n) { return static_cast<int64_t>(rng() % n); };
  for (int round = 0; round < 400; ++round) {
    L2Book batch(64), single(64);
    std::vector<norm::BookLevel> snapshot;
    const int64_t depth = below(40);
    for (int64_t i = 0; i < depth; ++i) {
      snapshot.push_back({true, {10'000 - 2 * i, -2}, {1 + below(9), -3}});
      snapshot.push_back({false, {10'001 + 2 * i, -2}, {1 + below(9), -3}});
    }
    CHECK(batch.load(snapshot.data(), snapshot.size()) == ApplyStatus::Ok);
    CHECK(single.load(snapshot.data(), snapshot.size()) == ApplyStatus::Ok);
    for (int update = 0; update < 20; ++update) {
      std::vector<norm::BookLevel> levels;
      for (const bool bid : {true, false}) {
        // A run from some depth outwards, in ticks of 1 (every other one a book level).
        int64_t px = bid ? 10'000 - below(2 * depth + 4) + 2 : 10'001 + below(2 * depth + 4) - 2;
        for (int64_t n = below(12); n > 0; --n) {
          const int64_t qty = below(4) == 0 ? 0 : 1 + below(9);
          levels.push_back({bid, {px, -2}, {qty, -3}});
          px += (bid ? -1 : 1) * (1 + below(2));
        }
      }
      // Now and then one level out of order.
      if (below(10) == 0 && levels.size() > 1)
        std::swap(levels[static_cast<size_t>(below(levels.size()))], levels.back());
      if (below(20) == 0 && !levels.empty())
        levels[static_cast<size_t>(below(levels.size()))].px.exponent = -3;  // rescale
      for (const norm::BookLevel& l : levels) CHECK(single.apply(l.bid, l.px, l.qty) == ApplyStatus::Ok);
      CHECK(batch.apply(levels.data(), levels.size()) == ApplyStatus::Ok);
      checkSameBook(batch, single);
    }
  }
}

// A snapshot best first (loaded without a sort) and the same levels in any
// order give the same side, empty levels left out.
void sortedSnapshotIsAnySnapshot() {
  std::mt19937_64 rng(5);
  const auto below = [&](uint64_t n) { return static_cast<int64_t>(rng() % n); };
  for (const bool bids : {true, false}) {
    for (int round = 0; round < 200; ++round) {
      std::vector<Level> sorted;
      int64_t px = 1'000'000;
      for (int64_t n = below(50); n > 0; --n) {
        sorted.push_back(Level{px, below(5) == 0 ? 0 : 1 + below(9)});
        px += (bids ? -1 : 1) * (1 + below(3));
      }
      std::vector<Level> shuffled = sorted;
      std::shuffle(shuffled.begin(), shuffled.end(), rng);
      BookSide a(bids), b(bids);
      a.load(sorted);
      b.load(shuffled);
      checkSameSide(a, b);
      size_t nonEmpty = 0;
      for (const Level& l : sorted) nonEmpty += l.qty != 0;
      CHECK(a.size() == nonEmpty);
    }
  }
}

// Decodes the book-stage records the manager wrote into a ring.
struct Seen {
  std::vector<uint16_t> types;
  std::vector<uint32_t> flags;
};
Seen drain(ring::Reader& r) {
  Seen seen;
  ring::RecordView v{};
  while (r.next(v)) {
    seen.types.push_back(v.type);
    seen.flags.push_back(v.flags);
  }
  r.release();
  return seen;
}

void managerReportsTransitionsResyncsAndStaleness() {
  std::vector<uint8_t> mem(ring::kHeaderBytes + (1u << 16));
  ring::initialize(mem.data(), mem.size());
  ring::Writer w(mem.data(), 1u << 16);
  ring::Reader r(mem.data(), 1u << 16);
  BookConfig config;
  config.staleAfterUs = 5'000'000;
  BookManager books(config);
  Updates snap, d;
  snap.bid("10", "1").ask("11", "1");
  d.bid("10.5", "2");
  const uint16_t bybit = 6;
  CHECK(books.apply(bybit, 7, 1, 1'000'000, snap.snapshot(100, true), w) == Verdict::Snapshot);
  w.flush();
  Seen s = drain(r);
  CHECK(s.types.size() == 1 && s.types[0] == records::kBookStatus);
  CHECK(s.flags[0] == static_cast<uint32_t>(BookState::Valid));
  // No update for longer than staleAfterUs: STALE; the next update makes it VALID again.
  books.checkStale(7'000'000, w);
  w.flush();
  s = drain(r);
  CHECK(s.types.size() == 1 && s.flags[0] == static_cast<uint32_t>(BookState::Stale));
  CHECK(books.apply(bybit, 7, 2, 7'100'000, d.delta(101, 0), w) == Verdict::Apply);
  w.flush();
  s = drain(r);
  CHECK(s.types.size() == 1 && s.flags[0] == static_cast<uint32_t>(BookState::Valid));
  // A gap: RESYNCING, and one resync request for this instrument only.
  CHECK(books.apply(bybit, 7, 3, 7'200'000, d.delta(105, 0), w) == Verdict::Gap);
  w.flush();
  s = drain(r);
  CHECK(s.types.size() == 2 && s.types[0] == records::kBookStatus && s.types[1] == records::kResync);
  CHECK(s.flags[0] == static_cast<uint32_t>(BookState::Resyncing));
  CHECK(s.flags[1] == static_cast<uint32_t>(records::BookReason::Gap));
  CHECK(books.gaps() == 1 && books.resyncs() == 1 && books.lostRecords() == 0);
  CHECK(books.find(bybit, 8) == nullptr);
}

}  // namespace

int main() {
  managerReportsTransitionsResyncsAndStaleness();
  crcMatchesZlib();
  krakenDocExampleChecksum();
  okxDocSampleChecksum();
  binanceSpotRules();
  binanceFuturesUsesPu();
  bybitAndOkxContinuity();
  crossedBookIsAnIntegrityFailure();
  scalesGrowWithoutLosingLevels();
  depthIsTruncatedToTheSubscribedDepth();
  sideMatchesAMap<std::greater<>>(true, 1);
  sideMatchesAMap<std::less<>>(false, 2);
  batchApplyIsApplyOneByOne();
  bestFirstBatchesAreApplyOneByOne();
  sortedSnapshotIsAnySnapshot();
  if (failures != 0) {
    std::fprintf(stderr, "book_test: %d check(s) failed\n", failures);
    return 1;
  }
  std::printf("book_test: all checks passed\n");
  return 0;
}
