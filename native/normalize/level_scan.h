// Book level arrays `[["price","size"], …]` read by the direct scan (scan.h)
// straight into the normalizer's level buffers: Binance's depth diffs and
// Bybit's order books. Exactly two strings per level (the general path takes
// more), each a decimal the general path accepts; anything else declines, and
// the caller then forgets the levels pushed so far (Normalizer::clearLevels).
#pragma once

#include "normalize/normalizer.h"
#include "normalize/scan.h"

namespace tickwire::norm::scan {

// A level in any form but levelPairIn's: each string read on its own.
[[gnu::noinline]] inline bool levelSlow(Cursor& c, Normalizer& n, bool bid) {
  double px, qty;
  Fixed pxFixed, qtyFixed;
  if (!c.eat('[') || !c.levelString(px, pxFixed) || !c.eat(',') || !c.levelString(qty, qtyFixed) || !c.eat(']')) {
    return false;
  }
  n.pushLevel(bid, px, qty, pxFixed, qtyFixed);
  return true;
}

// The side is a template argument and the common form's values, the cursor
// and the write positions are locals no slow path takes the address of: the
// loop keeps them in registers, with no branch on the side and no round trip
// through memory per level.
template <bool Bid>
bool levels(Cursor& c, Normalizer& n) {
  if (!c.eat('[')) return false;
  if (c.eat(']')) return true;
  const char* p = c.p;
  const char* const end = c.end;
  Normalizer::SideLevels side = n.openSide(Bid);
  for (;;) {
    Level level;
    unsigned length = 0;
    if (side.room != 0) {
      alignas(32) char copy[Cursor::kLevelPairReach];
      length = Cursor::levelPairIn(end - p >= Cursor::kLevelPairReach ? p : c.paddedTail(p, copy), level);
    }
    if (length != 0) {
      p += length;
      Normalizer::pushLevel(side, Bid, level.px, level.qty, level.pxFixed, level.qtyFixed);
    } else {
      // Another form, or the level buffers are full: the general way, which grows them.
      n.closeSide(Bid, side);
      c.p = p;
      if (!levelSlow(c, n, Bid)) return false;
      p = c.p;
      side = n.openSide(Bid);
    }
    if (p != end && *p == ',') {
      ++p;
      continue;
    }
    n.closeSide(Bid, side);
    c.p = p;
    return c.eat(']');
  }
}

}  // namespace tickwire::norm::scan
