// Book level arrays `[["price","size"], …]` read by the direct scan (scan.h)
// straight into the normalizer's level buffers: Binance's depth diffs and
// Bybit's order books. Exactly two strings per level (the general path takes
// more), each a decimal the general path accepts; anything else declines, and
// the caller then forgets the levels pushed so far (Normalizer::clearLevels).
#pragma once

#include "normalize/normalizer.h"
#include "normalize/scan.h"

namespace tickwire::norm::scan {

// A level in any form but levelPair's: each string read on its own.
[[gnu::noinline]] inline bool levelSlow(Cursor& c, Normalizer& n, bool bid) {
  double px, qty;
  Fixed pxFixed, qtyFixed;
  if (!c.eat('[') || !c.levelString(px, pxFixed) || !c.eat(',') || !c.levelString(qty, qtyFixed) || !c.eat(']')) {
    return false;
  }
  n.pushLevel(bid, px, qty, pxFixed, qtyFixed);
  return true;
}

// The side is a template argument and the common form's values are locals no
// slow path takes the address of: the loop keeps them in registers, with no
// branch on the side and no round trip through the stack per level.
template <bool Bid>
bool levels(Cursor& c, Normalizer& n) {
  return array(c, [&]() -> bool {
    Level level;
    if (!c.levelPair(level)) return levelSlow(c, n, Bid);
    n.pushLevel(Bid, level.px, level.qty, level.pxFixed, level.qtyFixed);
    return true;
  });
}

}  // namespace tickwire::norm::scan
