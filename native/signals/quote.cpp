#include "signals/quote.h"

#include <cmath>

namespace tickwire::signals {

void fillBbo(const Top& t, records::BboSignal& out) {
  out.bidPx = t.bidPx;
  out.bidQty = t.bidQty;
  out.askPx = t.askPx;
  out.askQty = t.askQty;
  out.mid = (t.bidPx + t.askPx) / 2;
  out.spreadBps = (t.askPx - t.bidPx) / out.mid * 10000;
  const double qty = t.bidQty + t.askQty;
  out.microprice = (t.bidPx * t.askQty + t.askPx * t.bidQty) / qty;
  out.imbalance = (t.bidQty - t.askQty) / qty;
}

double ofiEvent(const Top& prev, const Top& cur) {
  double e = 0;
  if (cur.bidPx >= prev.bidPx) e += cur.bidQty;
  if (cur.bidPx <= prev.bidPx) e -= prev.bidQty;
  if (cur.askPx <= prev.askPx) e -= cur.askQty;
  if (cur.askPx >= prev.askPx) e += prev.askQty;
  return e;
}

double sumLevels(const double* qty, size_t n, uint32_t levels) {
  double sum = 0;
  const size_t m = n < levels ? n : levels;
  for (size_t i = 0; i < m; ++i) {
    if (std::isfinite(qty[i]) && qty[i] > 0) sum += qty[i];
  }
  return sum;
}

}  // namespace tickwire::signals
