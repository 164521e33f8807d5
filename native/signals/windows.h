// Event-time containers shared by the signal families: a circular buffer kept
// sorted by event time, and a sliding-window sum over it. Sums are running
// (O(1) per event) and rebuilt from the entries in order once as many values
// have been subtracted as the window holds, so rounding drift stays bounded by
// a window's worth of operations (amortized O(1)). The TS reference
// (src/reference/signals/windows.ts) performs the same operations in the same
// order, so both give the same doubles.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tickwire::signals {

// floor(a / b) and the matching start of the interval holding `a`, for b > 0.
inline int64_t floorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}
inline int64_t floorStart(int64_t a, int64_t b) { return floorDiv(a, b) * b; }

// Sorted by `ts`; equal times keep arrival order. Capacity doubles when full
// (only while a window grows past its previous maximum: no steady-state allocation).
template <typename T>
class SortedRing {
 public:
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  T& at(size_t i) { return buf_[(head_ + i) & mask_]; }
  const T& at(size_t i) const { return buf_[(head_ + i) & mask_]; }
  T& front() { return at(0); }

  // Inserts after every entry with ts <= v.ts and returns its index. Events in
  // order append; an out-of-order one moves the few entries after it.
  size_t insert(const T& v) {
    if (count_ == buf_.size()) grow();
    size_t pos = count_;
    while (pos > 0 && at(pos - 1).ts > v.ts) --pos;
    for (size_t i = count_; i > pos; --i) at(i) = at(i - 1);
    at(pos) = v;
    ++count_;
    return pos;
  }
  void popFront() {
    head_ = (head_ + 1) & mask_;
    --count_;
  }

 private:
  void grow() {
    const size_t cap = buf_.empty() ? 16 : buf_.size() * 2;
    std::vector<T> next(cap);
    for (size_t i = 0; i < count_; ++i) next[i] = at(i);
    buf_.swap(next);
    head_ = 0;
    mask_ = cap - 1;
  }

  std::vector<T> buf_;
  size_t head_ = 0;
  size_t count_ = 0;
  size_t mask_ = 0;
};

// Σ value over entries with ts in (T − window, T], T = the largest ts added.
class SumWindow {
 public:
  explicit SumWindow(int64_t windowUs) : window_(windowUs) {}

  // An entry at or before T − window is outside the window and not kept.
  void add(int64_t ts, double value) {
    if (hasMax_ && ts <= maxTs_ - window_) return;
    entries_.insert(Entry{ts, value});
    sum_ += value;
    if (!hasMax_ || ts > maxTs_) {
      maxTs_ = ts;
      hasMax_ = true;
    }
    const int64_t cutoff = maxTs_ - window_;
    while (!entries_.empty() && entries_.front().ts <= cutoff) {
      sum_ -= entries_.front().value;
      entries_.popFront();
      ++removals_;
    }
    if (removals_ >= entries_.size()) rebuild();
  }

  int64_t window() const { return window_; }
  int64_t maxTs() const { return maxTs_; }
  double sum() const { return sum_; }
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    int64_t ts;
    double value;
  };
  void rebuild() {
    sum_ = 0;
    for (size_t i = 0; i < entries_.size(); ++i) sum_ += entries_.at(i).value;
    removals_ = 0;
  }

  int64_t window_;
  int64_t maxTs_ = 0;
  bool hasMax_ = false;
  double sum_ = 0;
  size_t removals_ = 0;
  SortedRing<Entry> entries_;
};

}  // namespace tickwire::signals
