#include "signals/consolidated.h"

namespace tickwire::signals {

void offer(Nbbo& n, uint16_t venue, const Top& t) {
  if (bidPresent(t) && (n.bidVenue == 0 || t.bidPx > n.bidPx || (t.bidPx == n.bidPx && t.bidQty > n.bidQty))) {
    n.bidPx = t.bidPx;
    n.bidQty = t.bidQty;
    n.bidVenue = venue;
  }
  if (askPresent(t) && (n.askVenue == 0 || t.askPx < n.askPx || (t.askPx == n.askPx && t.askQty > n.askQty))) {
    n.askPx = t.askPx;
    n.askQty = t.askQty;
    n.askVenue = venue;
  }
}

bool sameNbbo(const Nbbo& a, const Nbbo& b) {
  return a.bidPx == b.bidPx && a.bidQty == b.bidQty && a.askPx == b.askPx && a.askQty == b.askQty &&
         a.bidVenue == b.bidVenue && a.askVenue == b.askVenue;
}

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
