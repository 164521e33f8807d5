// One L2 order book in fixed point. Each side is sorted with the best level at
// the back, because venues change the top of the book far more often than the
// tail: an update there moves few elements. Prices and quantities are separate
// arrays, so that finding a price compares four of them per AVX2 instruction.
// Capacity is reserved up front, so steady-state updates allocate nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "normalize/decimal.h"

namespace tickwire::book {

// Price and quantity as integers at the book's scale: value = units / 10^scale.
struct Level {
  int64_t px;
  int64_t qty;
};

enum class ApplyStatus : uint8_t { Ok, Overflow };

class BookSide {
 public:
  explicit BookSide(bool bids) : bids_(bids), px_(kPad, bids ? INT64_MIN : INT64_MAX), qty_(kPad, 0) {}
  // Copies only: a moved-from vector would lose the padding that size() and
  // set() rely on.
  BookSide(const BookSide&) = default;
  BookSide& operator=(const BookSide&) = default;

  void reserve(size_t n) {
    px_.reserve(kPad + n);
    qty_.reserve(kPad + n);
  }
  void clear() {
    px_.resize(kPad);
    qty_.resize(kPad);
  }
  size_t size() const { return px_.size() - kPad; }
  bool empty() const { return px_.size() == kPad; }
  // The best price, or when empty a sentinel worse than any price: a test
  // against it needs no emptiness check first.
  int64_t bestOrSentinel() const { return px_.back(); }
  // i = 0 is the best level.
  Level at(size_t i) const {
    const size_t k = px_.size() - 1 - i;
    return Level{px_[k], qty_[k]};
  }
  // Sets the quantity at `px`; qty 0 removes the level (absent is fine).
  void set(int64_t px, int64_t qty);
  // Replaces the side with `levels` (any order; for a price given twice the
  // later one counts; qty 0 means absent), as set() one by one on an empty
  // side would, in O(n log n) instead of O(n²) moves.
  void load(std::vector<Level>& levels);
  // Keeps only the best `depth` levels.
  void truncate(size_t depth);
  // Multiplies every price (or quantity) by 10^k after a scale increase.
  bool rescale(bool prices, int64_t factor);

  // set() compares the levels a block of this many at a time, from the best down.
  static constexpr size_t kScanLevels = 16;

 private:
  // Both arrays start with kPad sentinels, prices worse than any (never
  // counted as better), so set() can always compare a full kScanLevels block
  // below any position, however small the side: no bound checks, no tail loop.
  static constexpr size_t kPad = kScanLevels;

  // True when `a` belongs nearer the back (better) than `b`.
  bool better(int64_t a, int64_t b) const { return bids_ ? a > b : a < b; }
  friend class L2Book;  // calls set<kBids>() when it already knows the side
  // set() for a side known at compile time (kBids == bids_). `next` is a
  // guess of px's index (0 = worst level), in [-1, size()): taken only when
  // the price there is px. set() leaves it at the level just worse than px,
  // where a venue's next level of a best-first batch usually is.
  template <bool kBids>
  void set(int64_t px, int64_t qty, ptrdiff_t& next);
  // px's position from hi down, when every level at or after hi is better than px.
  template <bool kBids>
  size_t findDeep(size_t hi, int64_t px) const;
  // set() once px's position is known: after every level not better than it.
  // Returns the index of the level just worse than px (see set()).
  ptrdiff_t place(size_t pos, int64_t px, int64_t qty);
  void insert(size_t pos, int64_t px, int64_t qty);
  void erase(size_t pos);

  bool bids_;
  // Level k is {px_[k], qty_[k]}: kPad sentinels, then the levels worst → best.
  std::vector<int64_t> px_, qty_;
};

class L2Book {
 public:
  explicit L2Book(size_t reserveLevels = 1024);

  void clear();
  // Applies one level with venue decimals; the book's scales grow as needed.
  ApplyStatus apply(bool bid, const norm::Fixed& px, const norm::Fixed& qty);
  // Applies `count` levels in order, as apply() of each would: on Overflow the
  // levels before the bad one stay applied.
  ApplyStatus apply(const norm::BookLevel* levels, size_t count);
  // A snapshot: the book becomes exactly `levels`, the same book clear() then
  // apply() of each level gives, without an insertion per level into a
  // sorted array (a 5,000-level snapshot was 5,000 moves of a growing array).
  ApplyStatus load(const norm::BookLevel* levels, size_t count);
  void truncate(size_t depth);

  const BookSide& bids() const { return bids_; }
  const BookSide& asks() const { return asks_; }
  int32_t pxScale() const { return pxScale_; }
  int32_t qtyScale() const { return qtyScale_; }
  // The compare first, as it is usually false; an empty side's sentinel makes
  // it false too but against an extreme price, which the emptiness tests settle.
  bool crossed() const { return bids_.bestOrSentinel() >= asks_.bestOrSentinel() && !bids_.empty() && !asks_.empty(); }

  double toPrice(int64_t units) const;
  double toQty(int64_t units) const;

  // Kraken v2: top 10 asks (low→high) then top 10 bids (high→low), each
  // level's price and qty as digits without '.' and leading zeros, CRC32.
  uint32_t krakenChecksum() const;
  // OKX (legacy): first 25 bids and asks interleaved "bid:ask:…" as
  // "price:size" in their shortest decimal form; the CRC read as signed.
  int32_t okxChecksum() const;

 private:
  bool toUnits(const norm::Fixed& v, int32_t& scale, bool prices, int64_t& out);

  BookSide bids_{true};
  BookSide asks_{false};
  std::vector<Level> loadBids_, loadAsks_;  // load()'s scratch, kept for its capacity
  int32_t pxScale_ = 0;
  int32_t qtyScale_ = 0;
};

}  // namespace tickwire::book
