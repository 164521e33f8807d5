// Tumbling OHLCV bars in event time for one instrument and one interval
// (docs/signals.md, "Bars and event time"). Trades of bars that are not final
// yet are kept sorted by (ts, arrival); a bar is aggregated in that order when
// the watermark reaches its end, so any arrival order within the allowed
// lateness gives exactly the bars of the sorted stream.
#pragma once

#include <cstdint>
#include <vector>

#include "signals/windows.h"

namespace tickwire::signals {

struct Bar {
  int64_t start = INT64_MIN;  // INT64_MIN: empty slot
  int64_t openTs = 0;
  int64_t closeTs = 0;
  double open = 0;
  double high = 0;
  double low = 0;
  double close = 0;
  double volume = 0;
  double pv = 0;
  uint32_t trades = 0;
  uint32_t revision = 0;
};

enum class LateOutcome : uint8_t { MergedIntoOpenBar, Revised, TooOld };

class BarSeries {
 public:
  // `retainBars` final bars are kept for late revisions (0 = drop policy).
  BarSeries(int64_t intervalUs, uint32_t retainBars);

  int64_t interval() const { return interval_; }
  bool hasPending() const { return !pending_.empty(); }

  // A trade that is not late (ts >= watermark): its bar is still open.
  void add(int64_t ts, double price, double qty) { insert(Pending{ts, price, qty}); }

  // Pops the oldest bar whose end <= watermark into `out`; false when none.
  // Inline: almost every trade asks, and almost always no bar is final.
  bool popFinal(int64_t watermark, Bar& out) { return !pending_.empty() && frontEnd_ <= watermark && popBar(out); }

  // Late policy `revise`, for a trade with ts < watermark: merged into its
  // bar if that is still open, else the retained final bar (or the empty
  // interval, as a new bar with revision 1) is revised into `out`.
  LateOutcome revise(int64_t ts, double price, double qty, int64_t watermark, Bar& out);

 private:
  struct Pending {
    int64_t ts;
    double price;
    double qty;
  };
  size_t slot(int64_t start) const;
  void insert(const Pending& p) {
    if (pending_.insert(p) == 0) frontEnd_ = floorStart(p.ts, interval_) + interval_;
  }
  bool popBar(Bar& out);

  int64_t interval_;
  SortedRing<Pending> pending_;
  int64_t frontEnd_ = 0;    // end of the bar holding pending_.front(), when not empty
  std::vector<Bar> final_;  // direct-mapped by bar index mod size
};

}  // namespace tickwire::signals
