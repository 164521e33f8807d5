#include "signals/bars.h"

namespace tickwire::signals {

BarSeries::BarSeries(int64_t intervalUs, uint32_t retainBars) : interval_(intervalUs), final_(retainBars) {}

size_t BarSeries::slot(int64_t start) const {
  const int64_t n = static_cast<int64_t>(final_.size());
  const int64_t m = floorDiv(start, interval_) % n;
  return static_cast<size_t>(m < 0 ? m + n : m);
}

bool BarSeries::popBar(Bar& out) {
  const int64_t end = frontEnd_;
  const int64_t start = end - interval_;
  const Pending first = pending_.front();
  pending_.popFront();
  out = Bar{};
  out.start = start;
  out.openTs = out.closeTs = first.ts;
  out.open = out.high = out.low = out.close = first.price;
  out.volume = first.qty;
  out.pv = first.price * first.qty;
  out.trades = 1;
  while (!pending_.empty() && pending_.front().ts < end) {
    const Pending p = pending_.front();
    pending_.popFront();
    if (p.price > out.high) out.high = p.price;
    if (p.price < out.low) out.low = p.price;
    out.close = p.price;
    out.closeTs = p.ts;
    out.volume += p.qty;
    out.pv += p.price * p.qty;
    ++out.trades;
  }
  if (!pending_.empty()) frontEnd_ = floorStart(pending_.front().ts, interval_) + interval_;
  if (!final_.empty()) final_[slot(start)] = out;
  return true;
}

LateOutcome BarSeries::revise(int64_t ts, double price, double qty, int64_t watermark, Bar& out) {
  const int64_t start = floorStart(ts, interval_);
  if (start + interval_ > watermark) {
    insert(Pending{ts, price, qty});
    return LateOutcome::MergedIntoOpenBar;
  }
  // Bars with index <= lastFinal are final; the newest final_.size() of them are revisable.
  const int64_t lastFinal = floorDiv(watermark, interval_) - 1;
  if (final_.empty() || lastFinal - floorDiv(ts, interval_) >= static_cast<int64_t>(final_.size())) {
    return LateOutcome::TooOld;
  }
  Bar& b = final_[slot(start)];
  if (b.start != start) {
    // The interval had no trades (no bar was emitted): the late trade opens one.
    b = Bar{};
    b.start = start;
    b.openTs = b.closeTs = ts;
    b.open = b.high = b.low = b.close = price;
    b.volume = qty;
    b.pv = price * qty;
    b.trades = 1;
    b.revision = 1;
  } else {
    if (ts < b.openTs) {
      b.open = price;
      b.openTs = ts;
    }
    if (ts >= b.closeTs) {
      b.close = price;
      b.closeTs = ts;
    }
    if (price > b.high) b.high = price;
    if (price < b.low) b.low = price;
    b.volume += qty;
    b.pv += price * qty;
    ++b.trades;
    ++b.revision;
  }
  out = b;
  return LateOutcome::Revised;
}

}  // namespace tickwire::signals
