#include "book/l2book.h"

#include <algorithm>
#include <cstring>

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

void BookSide::set(int64_t px, int64_t qty) {
  // Where px belongs in the array (worst → best): after every level not
  // better than it. Updates land near the top (the back) at depths no branch
  // predictor can guess, so the top kTopScan levels are counted without a
  // branch; a level deeper than those is found by galloping from there.
  constexpr size_t kTopScan = 16;
  const size_t n = levels_.size();
  Level* const data = levels_.data();
  const size_t k = n < kTopScan ? n : kTopScan;
  size_t betterCount = 0;
  if (bids_) {
    for (size_t i = n - k; i < n; ++i) betterCount += static_cast<size_t>(data[i].px > px);
  } else {
    for (size_t i = n - k; i < n; ++i) betterCount += static_cast<size_t>(data[i].px < px);
  }
  size_t pos = n - betterCount;  // the first level better than px
  if (betterCount == k && k < n) {
    // Deeper than the top: gallop down (1, 2, 4 … levels) from there, then
    // binary-search the last step: O(log d) for a level d from the top.
    size_t hi = n - k;  // every level at or after hi is better than px
    size_t lo = 0;
    for (size_t step = 1; step <= hi; step *= 2) {
      if (!better(data[hi - step].px, px)) {
        lo = hi - step;
        break;
      }
      hi -= step;
    }
    pos = static_cast<size_t>(
        std::partition_point(data + lo, data + hi, [&](const Level& l) { return !better(l.px, px); }) - data);
  }
  const bool found = pos != 0 && data[pos - 1].px == px;
  if (qty == 0) {
    if (found) levels_.erase(levels_.begin() + static_cast<std::ptrdiff_t>(pos - 1));
  } else if (found) {
    data[pos - 1].qty = qty;
  } else {
    levels_.insert(levels_.begin() + static_cast<std::ptrdiff_t>(pos), Level{px, qty});
  }
}

void BookSide::load(std::vector<Level>& levels) {
  // Worst to best; among equal prices the input order stays, so the last given is last.
  std::stable_sort(levels.begin(), levels.end(), [this](const Level& a, const Level& b) { return better(b.px, a.px); });
  levels_.clear();
  for (size_t i = 0; i < levels.size(); ++i) {
    if (i + 1 < levels.size() && levels[i + 1].px == levels[i].px) continue;  // a later one wins
    if (levels[i].qty != 0) levels_.push_back(levels[i]);
  }
}

void BookSide::truncate(size_t depth) {
  if (levels_.size() > depth) levels_.erase(levels_.begin(), levels_.end() - static_cast<std::ptrdiff_t>(depth));
}

bool BookSide::rescale(bool prices, int64_t factor) {
  for (Level& l : levels_) {
    int64_t& v = prices ? l.px : l.qty;
    if (mulOverflows(v, factor, v)) return false;
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

ApplyStatus L2Book::apply(bool bid, const norm::Fixed& px, const norm::Fixed& qty) {
  // A venue prints a market's prices (and sizes) with the same number of
  // decimals, so once the scales are set a level is usually already in units.
  int64_t p = px.mantissa, q = qty.mantissa;
  if (px.exponent != -pxScale_ && !toUnits(px, pxScale_, true, p)) return ApplyStatus::Overflow;
  if (qty.exponent != -qtyScale_ && !toUnits(qty, qtyScale_, false, q)) return ApplyStatus::Overflow;
  (bid ? bids_ : asks_).set(p, q);
  return ApplyStatus::Ok;
}

ApplyStatus L2Book::load(const norm::BookLevel* levels, size_t count) {
  clear();
  // The scales apply() would end at: the finest decimals given (each level is
  // first checked as apply() would check it).
  for (size_t i = 0; i < count; ++i) {
    for (const norm::Fixed* v : {&levels[i].px, &levels[i].qty}) {
      if (v->exponent == INT8_MIN || -static_cast<int32_t>(v->exponent) > kMaxScale) return ApplyStatus::Overflow;
    }
    pxScale_ = std::max<int32_t>(pxScale_, -levels[i].px.exponent);
    qtyScale_ = std::max<int32_t>(qtyScale_, -levels[i].qty.exponent);
  }
  loadBids_.clear();
  loadAsks_.clear();
  for (size_t i = 0; i < count; ++i) {
    int64_t p, q;
    if (!toUnits(levels[i].px, pxScale_, true, p) || !toUnits(levels[i].qty, qtyScale_, false, q)) {
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
