#include "book/l2book.h"

#include <algorithm>
#include <cstring>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "book/crc32.h"

namespace tickwire::book {

namespace {

constexpr int kMaxScale = 18;

constexpr int64_t kPow10[19] = {1,
                                10,
                                100,
                                1000,
                                10000,
                                100000,
                                1000000,
                                10000000,
                                100000000,
                                1000000000,
                                10000000000,
                                100000000000,
                                1000000000000,
                                10000000000000,
                                100000000000000,
                                1000000000000000,
                                10000000000000000,
                                100000000000000000,
                                1000000000000000000};

bool mulOverflows(int64_t a, int64_t b, int64_t& out) { return __builtin_mul_overflow(a, b, &out); }

template <bool kBids>
bool isBetter(int64_t a, int64_t b) {
  return kBids ? a > b : a < b;
}

// Blocks of BookSide::kScanLevels counted before galloping: most updates land
// in the top few dozen levels.
constexpr size_t kScanBlocks = 4;

// How many of the kScanLevels levels from `block` are better than px.
template <bool kBids>
size_t countBetter(const int64_t* block, int64_t px) {
#if defined(__AVX2__)
  static_assert(BookSide::kScanLevels == 16);
  const __m256i p = _mm256_set1_epi64x(px);
  __m256i better[4];
  for (size_t i = 0; i < 4; ++i) {
    const __m256i prices = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 4 * i));
    better[i] = kBids ? _mm256_cmpgt_epi64(prices, p) : _mm256_cmpgt_epi64(p, prices);
  }
  // Saturating packs keep an all-ones lane all ones: two bytes, so two mask bits, per better level.
  const __m256i bytes =
      _mm256_packs_epi16(_mm256_packs_epi32(better[0], better[1]), _mm256_packs_epi32(better[2], better[3]));
  return static_cast<size_t>(__builtin_popcount(static_cast<uint32_t>(_mm256_movemask_epi8(bytes)))) / 2;
#else
  size_t count = 0;
  for (size_t i = 0; i < BookSide::kScanLevels; ++i) count += static_cast<size_t>(isBetter<kBids>(block[i], px));
  return count;
#endif
}

// Writes `units` at `scale` as the digits a venue would print: with
// `fixedDigits`, every fraction digit (Kraken: "0.00100000" → "000100000"),
// then leading zeros stripped; without it, the shortest decimal ("30261",
// "0.5"). Returns the length written.
size_t formatUnits(int64_t units, int32_t scale, bool krakenDigits, char* out) {
  char digits[24];
  size_t n = 0;
  uint64_t v = static_cast<uint64_t>(units < 0 ? -units : units);
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  // Pad so there is at least one digit before the point.
  while (static_cast<int32_t>(n) <= scale) digits[n++] = '0';
  size_t len = 0;
  if (krakenDigits) {
    // All digits, no point; then leading zeros stripped (keep one for zero).
    size_t i = n;
    while (i > 1 && digits[i - 1] == '0') --i;
    while (i > 0) out[len++] = digits[--i];
    return len;
  }
  // Shortest decimal: drop trailing fraction zeros, and the point if nothing is left.
  size_t drop = 0;
  while (static_cast<int32_t>(drop) < scale && digits[drop] == '0') ++drop;
  if (units < 0) out[len++] = '-';
  for (size_t i = n; i-- > drop;) {
    out[len++] = digits[i];
    if (static_cast<int32_t>(i) == scale && i != drop) out[len++] = '.';
  }
  return len;
}

}  // namespace

template <bool kBids>
[[gnu::always_inline]] inline void BookSide::set(int64_t px, int64_t qty, ptrdiff_t& next) {
  const int64_t* const data = px_.data() + kPad;
  // A batch's levels of one side usually come best first and often adjacent
  // (a venue's changed levels near the top): the guess then holds px, and as
  // prices are unique, that is px's level. Checked with one compare.
  if (next >= 0 && data[next] == px) [[likely]] {
    if (qty != 0) [[likely]] {
      qty_[kPad + next] = qty;
    } else {
      erase(static_cast<size_t>(next));  // levels below next keep their index
    }
    --next;
    return;
  }
  // Where px belongs among the prices (worst → best): after every level not
  // better than it. Updates land near the top (the back) at depths no branch
  // predictor can guess, so the levels are counted a block at a time without
  // a branch per level; a level deeper than those blocks is found by
  // galloping from there. The padding makes a block below the front harmless.
  size_t hi = px_.size() - kPad;  // every level at or after hi is better than px
  for (size_t block = 0; block < kScanBlocks; ++block) {
    const size_t count = countBetter<kBids>(data + hi - kScanLevels, px);
    if (count != kScanLevels) {
      next = place(hi - count, px, qty);
      return;
    }
    hi -= kScanLevels;
  }
  next = place(findDeep<kBids>(hi, px), px, qty);
}

// Out of line: rare, and it keeps set(), inlined into L2Book::apply(), small.
template <bool kBids>
[[gnu::noinline]] size_t BookSide::findDeep(size_t hi, int64_t px) const {
  // Gallop down (1, 2, 4 … levels), then binary-search the last step: O(log d)
  // for a level d below hi.
  const int64_t* const data = px_.data() + kPad;
  size_t lo = 0;
  for (size_t step = 1; step <= hi; step *= 2) {
    if (!isBetter<kBids>(data[hi - step], px)) {
      lo = hi - step;
      break;
    }
    hi -= step;
  }
  return static_cast<size_t>(
      std::partition_point(data + lo, data + hi, [px](int64_t l) { return !isBetter<kBids>(l, px); }) - data);
}

inline ptrdiff_t BookSide::place(size_t pos, int64_t px, int64_t qty) {
  const auto at = static_cast<ptrdiff_t>(pos);
  if (pos != 0 && px_[kPad + pos - 1] == px) {
    if (qty != 0) {
      qty_[kPad + pos - 1] = qty;
    } else {
      erase(pos - 1);
    }
    return at - 2;
  }
  if (qty != 0) insert(pos, px, qty);
  return at - 1;
}

void BookSide::set(int64_t px, int64_t qty) {
  ptrdiff_t none = -1;
  bids_ ? set<true>(px, qty, none) : set<false>(px, qty, none);
}

// Out of line: the quantity update in place(), the common case, then needs no
// stack frame for the memmove these make.
[[gnu::noinline]] void BookSide::insert(size_t pos, int64_t px, int64_t qty) {
  px_.insert(px_.begin() + static_cast<std::ptrdiff_t>(kPad + pos), px);
  qty_.insert(qty_.begin() + static_cast<std::ptrdiff_t>(kPad + pos), qty);
}

[[gnu::noinline]] void BookSide::erase(size_t pos) {
  px_.erase(px_.begin() + static_cast<std::ptrdiff_t>(kPad + pos));
  qty_.erase(qty_.begin() + static_cast<std::ptrdiff_t>(kPad + pos));
}

void BookSide::load(std::vector<Level>& levels) {
  clear();
  // Venues send a snapshot best first without repeats: worst → best is then
  // just the reverse, with no sort (a stable_sort of 1,000 levels is ~60 k instructions).
  const size_t n = levels.size();
  size_t sorted = 1;
  if (bids_) {
    while (sorted < n && isBetter<true>(levels[sorted - 1].px, levels[sorted].px)) ++sorted;
  } else {
    while (sorted < n && isBetter<false>(levels[sorted - 1].px, levels[sorted].px)) ++sorted;
  }
  if (sorted >= n) {
    for (size_t i = n; i-- > 0;) {
      if (levels[i].qty != 0) {
        px_.push_back(levels[i].px);
        qty_.push_back(levels[i].qty);
      }
    }
    return;
  }
  // Worst to best; among equal prices the input order stays, so the last given is last.
  std::stable_sort(levels.begin(), levels.end(), [this](const Level& a, const Level& b) { return better(b.px, a.px); });
  for (size_t i = 0; i < levels.size(); ++i) {
    if (i + 1 < levels.size() && levels[i + 1].px == levels[i].px) continue;  // a later one wins
    if (levels[i].qty != 0) {
      px_.push_back(levels[i].px);
      qty_.push_back(levels[i].qty);
    }
  }
}

void BookSide::truncate(size_t depth) {
  if (size() > depth) {
    px_.erase(px_.begin() + kPad, px_.end() - static_cast<std::ptrdiff_t>(depth));
    qty_.erase(qty_.begin() + kPad, qty_.end() - static_cast<std::ptrdiff_t>(depth));
  }
}

bool BookSide::rescale(bool prices, int64_t factor) {
  std::vector<int64_t>& values = prices ? px_ : qty_;
  for (auto v = values.begin() + kPad; v != values.end(); ++v) {
    if (mulOverflows(*v, factor, *v)) return false;
  }
  return true;
}

L2Book::L2Book(size_t reserveLevels) {
  bids_.reserve(reserveLevels);
  asks_.reserve(reserveLevels);
}

void L2Book::clear() {
  bids_.clear();
  asks_.clear();
  pxScale_ = 0;
  qtyScale_ = 0;
}

bool L2Book::toUnits(const norm::Fixed& v, int32_t& scale, bool prices, int64_t& out) {
  const int32_t need = v.exponent < 0 ? -v.exponent : 0;
  if (need > kMaxScale) return false;
  if (need > scale) {
    // A finer decimal than seen so far: move the whole book to the new scale.
    const int64_t factor = kPow10[need - scale];
    if (!bids_.rescale(prices, factor) || !asks_.rescale(prices, factor)) return false;
    scale = need;
  }
  // value = mantissa·10^exponent = units·10^-scale  ⇒  units = mantissa·10^(exponent+scale)
  const int32_t shift = v.exponent + scale;
  if (shift > kMaxScale) return false;
  return !mulOverflows(v.mantissa, kPow10[shift], out);
}

// Out of line: the batch apply() below calls it only for a level not yet at
// the book's scales, and keeps its own loop free of that path's registers.
[[gnu::noinline]] ApplyStatus L2Book::apply(bool bid, const norm::Fixed& px, const norm::Fixed& qty) {
  // A venue prints a market's prices (and sizes) with the same number of
  // decimals, so once the scales are set a level is usually already in units.
  int64_t p = px.mantissa, q = qty.mantissa;
  if (px.exponent != -pxScale_ && !toUnits(px, pxScale_, true, p)) return ApplyStatus::Overflow;
  if (qty.exponent != -qtyScale_ && !toUnits(qty, qtyScale_, false, q)) return ApplyStatus::Overflow;
  (bid ? bids_ : asks_).set(p, q);
  return ApplyStatus::Ok;
}

ApplyStatus L2Book::apply(const norm::BookLevel* levels, size_t count) {
  // The exponents of a level already in units (scales are at most kMaxScale,
  // so they fit in one); they change only where a level rescales the book.
  int8_t pxExp = static_cast<int8_t>(-pxScale_), qtyExp = static_cast<int8_t>(-qtyScale_);
  // Each side's guess of its next level's index (BookSide::set()), the best
  // level first, the most updated one. set() keeps it in [-1, size): a
  // guess of -1 is never taken.
  ptrdiff_t bidNext = static_cast<ptrdiff_t>(bids_.size()) - 1;
  ptrdiff_t askNext = static_cast<ptrdiff_t>(asks_.size()) - 1;
  for (const norm::BookLevel* const end = levels + count; levels != end; ++levels) {
    const norm::BookLevel& l = *levels;
    if (l.px.exponent != pxExp || l.qty.exponent != qtyExp) [[unlikely]] {
      if (apply(l.bid, l.px, l.qty) != ApplyStatus::Ok) return ApplyStatus::Overflow;
      // The level may have removed one (so the guesses may be past the end) or rescaled the book.
      pxExp = static_cast<int8_t>(-pxScale_);
      qtyExp = static_cast<int8_t>(-qtyScale_);
      bidNext = static_cast<ptrdiff_t>(bids_.size()) - 1;
      askNext = static_cast<ptrdiff_t>(asks_.size()) - 1;
      continue;
    }
    if (l.bid) {
      bids_.set<true>(l.px.mantissa, l.qty.mantissa, bidNext);
    } else {
      asks_.set<false>(l.px.mantissa, l.qty.mantissa, askNext);
    }
  }
  return ApplyStatus::Ok;
}

ApplyStatus L2Book::load(const norm::BookLevel* levels, size_t count) {
  clear();
  // The scales apply() would end at: the finest decimals given. A level apply()
  // would reject has finer ones than kMaxScale (INT8_MIN, no fixed-point form,
  // included): then the scales are set again as apply() would leave them, up
  // to the level before it.
  int32_t pxExp = 0, qtyExp = 0;
  for (size_t i = 0; i < count; ++i) {
    pxExp = std::min<int32_t>(pxExp, levels[i].px.exponent);
    qtyExp = std::min<int32_t>(qtyExp, levels[i].qty.exponent);
  }
  if (pxExp < -kMaxScale || qtyExp < -kMaxScale) [[unlikely]] {
    for (size_t i = 0; i < count && levels[i].px.exponent >= -kMaxScale && levels[i].qty.exponent >= -kMaxScale; ++i) {
      pxScale_ = std::max<int32_t>(pxScale_, -levels[i].px.exponent);
      qtyScale_ = std::max<int32_t>(qtyScale_, -levels[i].qty.exponent);
    }
    return ApplyStatus::Overflow;
  }
  pxScale_ = -pxExp;
  qtyScale_ = -qtyExp;
  loadBids_.clear();
  loadAsks_.clear();
  for (size_t i = 0; i < count; ++i) {
    // A value already at the book's scale is its units (toUnits() would multiply by 1).
    int64_t p = levels[i].px.mantissa, q = levels[i].qty.mantissa;
    if ((levels[i].px.exponent != pxExp && !toUnits(levels[i].px, pxScale_, true, p)) ||
        (levels[i].qty.exponent != qtyExp && !toUnits(levels[i].qty, qtyScale_, false, q))) {
      clear();
      return ApplyStatus::Overflow;
    }
    (levels[i].bid ? loadBids_ : loadAsks_).push_back(Level{p, q});
  }
  bids_.load(loadBids_);
  asks_.load(loadAsks_);
  return ApplyStatus::Ok;
}

void L2Book::truncate(size_t depth) {
  bids_.truncate(depth);
  asks_.truncate(depth);
}

double L2Book::toPrice(int64_t units) const {
  return static_cast<double>(units) / static_cast<double>(kPow10[pxScale_]);
}
double L2Book::toQty(int64_t units) const {
  return static_cast<double>(units) / static_cast<double>(kPow10[qtyScale_]);
}

uint32_t L2Book::krakenChecksum() const {
  char buf[20 * 2 * 24];
  size_t len = 0;
  for (size_t i = 0; i < 10 && i < asks_.size(); ++i) {
    len += formatUnits(asks_.at(i).px, pxScale_, true, buf + len);
    len += formatUnits(asks_.at(i).qty, qtyScale_, true, buf + len);
  }
  for (size_t i = 0; i < 10 && i < bids_.size(); ++i) {
    len += formatUnits(bids_.at(i).px, pxScale_, true, buf + len);
    len += formatUnits(bids_.at(i).qty, qtyScale_, true, buf + len);
  }
  return crc32(buf, len);
}

int32_t L2Book::okxChecksum() const {
  char buf[50 * 2 * 26];
  size_t len = 0;
  auto put = [&](const Level& l) {
    if (len != 0) buf[len++] = ':';
    len += formatUnits(l.px, pxScale_, false, buf + len);
    buf[len++] = ':';
    len += formatUnits(l.qty, qtyScale_, false, buf + len);
  };
  for (size_t i = 0; i < 25; ++i) {
    if (i < bids_.size()) put(bids_.at(i));
    if (i < asks_.size()) put(asks_.at(i));
  }
  return static_cast<int32_t>(crc32(buf, len));
}

}  // namespace tickwire::book
