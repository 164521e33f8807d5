#include "signals/trades.h"

#include <cmath>

namespace tickwire::signals {

// Out of line on purpose: inlined into TradeWindow::add, it changes how GCC
// vectorizes and FMA-contracts the window sums, which can change the last bit
// of vwap.
double SquaredLogReturn::operator()(double a, double b) {
  if (a != a_ || b != b_) {
    a_ = a;
    b_ = b;
    const double r = std::log(b / a);
    r2_ = r * r;
  }
  return r2_;
}

void TradeWindow::add(int64_t ts, double price, double qty, bool sell, SquaredLogReturn& ret2) {
  if (hasMax_ && ts <= maxTs_ - window_) return;
  const size_t pos = trades_.insert(Entry{ts, price, qty, sell, 0});
  volume_ += qty;
  pv_ += price * qty;
  if (sell) {
    sell_ += qty;
  } else {
    buy_ += qty;
  }
  const bool hasPrev = pos > 0;
  const bool hasNext = pos + 1 < trades_.size();
  if (hasPrev && hasNext) {
    rv2_ -= trades_.at(pos + 1).r2;  // the pair the new trade splits
    ++removals_;
  }
  if (hasPrev) {
    Entry& e = trades_.at(pos);
    e.r2 = ret2(trades_.at(pos - 1).price, e.price);
    rv2_ += e.r2;
  }
  if (hasNext) {
    Entry& next = trades_.at(pos + 1);
    next.r2 = ret2(trades_.at(pos).price, next.price);
    rv2_ += next.r2;
  }
  if (!hasMax_ || ts > maxTs_) {
    maxTs_ = ts;
    hasMax_ = true;
  }
  const int64_t cutoff = maxTs_ - window_;
  while (!trades_.empty() && trades_.front().ts <= cutoff) {
    const Entry& f = trades_.front();
    volume_ -= f.qty;
    pv_ -= f.price * f.qty;
    if (f.sell) {
      sell_ -= f.qty;
    } else {
      buy_ -= f.qty;
    }
    if (trades_.size() > 1) rv2_ -= trades_.at(1).r2;
    trades_.popFront();
    ++removals_;
  }
  if (removals_ >= trades_.size()) rebuild();
}

void TradeWindow::rebuild() {
  volume_ = 0;
  pv_ = 0;
  buy_ = 0;
  sell_ = 0;
  rv2_ = 0;
  for (size_t i = 0; i < trades_.size(); ++i) {
    const Entry& e = trades_.at(i);
    volume_ += e.qty;
    pv_ += e.price * e.qty;
    if (e.sell) {
      sell_ += e.qty;
    } else {
      buy_ += e.qty;
    }
    if (i > 0) rv2_ += e.r2;
  }
  removals_ = 0;
}

}  // namespace tickwire::signals
