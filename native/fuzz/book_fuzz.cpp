// libFuzzer target: the book stage on its own. The input drives a sequence of
// snapshots and deltas (levels as decimal text, parsed as the engine does,
// sequence numbers near and far from the book's) for a few instruments of one
// venue into a BookManager, including the Kraken and OKX CRC32 checks: an
// update may carry a random checksum, none, or the right one (computed on a
// copy of the book), so fuzzing goes past the first checksum. After every
// update a VALID book must be sorted, uncrossed, free of empty levels and
// within its depth, and the records written must be well formed.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "book/books.h"
#include "fuzz/fuzz_common.h"
#include "normalize/decimal.h"

using namespace tickwire;
using namespace tickwire::book;

namespace {

constexpr uint32_t kSymbols = 4;
constexpr int64_t kMaxSafeInteger = (int64_t{1} << 53) - 1;

std::string decimalText(FuzzedDataProvider& p, bool price) {
  switch (p.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: {  // a realistic level: a few ticks around a base
      const uint64_t ticks = p.ConsumeIntegralInRange<uint64_t>(0, price ? 64 : 20);
      const int decimals = p.ConsumeIntegralInRange<int>(0, 8);
      uint64_t units = price ? 1000 * 100 + ticks : ticks;
      std::string digits = std::to_string(units);
      if (decimals == 0) return digits;
      if (digits.size() <= static_cast<size_t>(decimals)) digits.insert(0, decimals + 1 - digits.size(), '0');
      digits.insert(digits.size() - decimals, ".");
      return digits;
    }
    case 1: {  // any unsigned integer at any scale, up to 20 fraction digits
      std::string digits = std::to_string(p.ConsumeIntegral<uint64_t>());
      const auto decimals = p.ConsumeIntegralInRange<size_t>(0, 20);
      if (decimals != 0) {
        if (digits.size() <= decimals) digits.insert(0, decimals + 1 - digits.size(), '0');
        digits.insert(digits.size() - decimals, ".");
      }
      return digits;
    }
    case 2:
      return price ? "0" : "0.00000000";  // zero: removes the level
    default:
      return p.ConsumeRandomLengthString(32);
  }
}

int64_t nextSequence(FuzzedDataProvider& p, uint64_t last) {
  switch (p.ConsumeIntegralInRange<int>(0, 3)) {
    case 0:
      return static_cast<int64_t>(last + 1);
    case 1:
      return static_cast<int64_t>(last);
    case 2:
      return static_cast<int64_t>(last + p.ConsumeIntegralInRange<uint64_t>(2, 5));
    default:  // the normalizer passes on integers up to 2^53 (fields.h)
      return p.ConsumeIntegralInRange<int64_t>(-kMaxSafeInteger, kMaxSafeInteger);
  }
}

void checkBook(const BookSync& sync, uint32_t depth) {
  if (sync.state() != BookState::Valid) return;
  const L2Book& b = sync.book();
  FUZZ_CHECK(!b.crossed());
  for (const BookSide* side : {&b.bids(), &b.asks()}) {
    const bool bids = side == &b.bids();
    if (depth != 0) FUZZ_CHECK(side->size() <= depth);
    for (size_t i = 0; i < side->size(); ++i) {
      FUZZ_CHECK(side->at(i).qty > 0);
      if (i != 0) FUZZ_CHECK(bids ? side->at(i).px < side->at(i - 1).px : side->at(i).px > side->at(i - 1).px);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::RingBuffer out(1u << 20);
  out.reset();
  ring::Writer writer(out.bytes, out.capacity);
  ring::Reader reader(out.bytes, out.capacity);
  FuzzedDataProvider p(data, size);

  const auto venue = p.ConsumeIntegralInRange<uint16_t>(1, 7);
  BookConfig config;
  config.krakenDepth = p.ConsumeIntegralInRange<uint32_t>(0, 30);
  config.staleAfterUs = p.ConsumeBool() ? 1'000'000 : 0;
  config.emitVerdicts = p.ConsumeBool();
  const uint32_t depth = venue == 5 ? config.krakenDepth : 0;
  BookManager books(config);

  uint64_t lastSeq[kSymbols] = {};
  int64_t recvUs = 1'700'000'000'000'000;
  std::vector<LevelUpdate> levels;
  while (p.remaining_bytes() != 0) {
    const auto symbol = p.ConsumeIntegralInRange<uint32_t>(0, kSymbols - 1);
    recvUs += p.ConsumeIntegralInRange<int64_t>(0, 2'000'000);
    if (p.ConsumeIntegralInRange<int>(0, 15) == 0) {
      books.checkStale(recvUs, writer);
      writer.flush();
      fuzz::drainOutput(reader);
      continue;
    }

    BookUpdate u;
    u.snapshot = p.ConsumeIntegralInRange<int>(0, 3) == 0;
    u.hasSeq = p.ConsumeIntegralInRange<int>(0, 7) != 0;
    u.seq = nextSequence(p, lastSeq[symbol]);
    u.hasPrevSeq = p.ConsumeIntegralInRange<int>(0, 7) != 0;
    u.prevSeq = p.ConsumeBool() ? static_cast<int64_t>(lastSeq[symbol]) : nextSequence(p, lastSeq[symbol]);
    lastSeq[symbol] = static_cast<uint64_t>(u.seq);

    levels.clear();
    const auto count = p.ConsumeIntegralInRange<uint32_t>(0, u.snapshot ? 60 : 12);
    for (uint32_t i = 0; i < count; ++i) {
      LevelUpdate level{p.ConsumeBool(), {}, {}};
      // As EngineCore::applyBooks: text the book cannot hold gets an exponent it refuses.
      if (norm::parseFixed(decimalText(p, true), false, level.px) != norm::NumStatus::Ok) level.px.exponent = INT8_MIN;
      if (norm::parseFixed(decimalText(p, false), false, level.qty) != norm::NumStatus::Ok) {
        level.qty.exponent = INT8_MIN;
      }
      levels.push_back(level);
    }
    u.levels = levels.data();
    u.count = count;

    switch (p.ConsumeIntegralInRange<int>(0, 3)) {
      case 0:
        break;
      case 1:
        u.hasChecksum = true;
        u.checksum = p.ConsumeIntegralInRange<int64_t>(-kMaxSafeInteger, kMaxSafeInteger);
        break;
      default: {
        // The checksum the venue would send: computed on a copy of the book
        // with this update applied.
        const BookSync* sync = books.find(venue, symbol);
        L2Book copy = sync != nullptr && !u.snapshot ? sync->book() : L2Book(0);
        bool ok = true;
        for (const LevelUpdate& l : levels) ok = ok && copy.apply(l.bid, l.px, l.qty) == ApplyStatus::Ok;
        if (!ok) break;
        if (depth != 0) copy.truncate(depth);
        u.hasChecksum = true;
        u.checksum = venue == 5 ? static_cast<int64_t>(copy.krakenChecksum()) : copy.okxChecksum();
        break;
      }
    }

    books.apply(venue, symbol, recvUs - 5000, recvUs, u, writer);
    writer.flush();
    fuzz::drainOutput(reader);
    checkBook(*books.find(venue, symbol), depth);
  }
  FUZZ_CHECK(books.lostRecords() == 0);
  return 0;
}
