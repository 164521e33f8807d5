#include "signals/consolidated.h"

namespace tickwire::signals {

void fillNbbo(const Nbbo& n, records::NbboSignal& out) {
  out.bidPx = n.bidPx;
  out.bidQty = n.bidQty;
  out.askPx = n.askPx;
  out.askQty = n.askQty;
  out.bidVenue = n.bidVenue;
  out.askVenue = n.askVenue;
  const bool crossed = n.valid() && n.bidPx > n.askPx;
  out.crossed = crossed ? 1 : 0;
  out.crossBps = crossed ? (n.bidPx - n.askPx) / n.askPx * 10000 : 0.0;
}

}  // namespace tickwire::signals
