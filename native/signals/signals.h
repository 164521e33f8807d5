// Per-instrument trading signals in event time (docs/signals.md). The engine
// feeds every canonical event in; each call writes the signal records it
// causes to the output ring with reserve() + commitLocal() (the caller
// publishes). src/reference/signals/ is the TypeScript oracle of the same
// logic: both are deterministic functions of the same call sequence.
//
// Event time is the exchange ts, or recvUs when the venue sent none
// (ts == records::kNullTs). emitTs is the engine clock set with setNow().
// Per-instrument state is created on first sight; afterwards no call
// allocates (window buffers only grow past their largest size so far) and
// nothing throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ring.h"
#include "signals/bars.h"
#include "signals/consolidated.h"
#include "signals/quote.h"
#include "signals/signal_records.h"
#include "signals/trades.h"

namespace tickwire::signals {

enum class LatePolicy : uint8_t { Drop, Revise };

struct SignalConfig {
  uint32_t depthLevels = 5;
  std::vector<int64_t> tradeWindowsUs{1'000'000, 60'000'000};
  std::vector<int64_t> emaHalfLivesUs{1'000'000, 30'000'000};
  int64_t ofiWindowUs = 1'000'000;
  std::vector<int64_t> barIntervalsUs{1'000'000, 60'000'000};
  int64_t latenessUs = 500'000;
  LatePolicy latePolicy = LatePolicy::Drop;
  // Engine-clock time without trades after which an instrument's watermark
  // follows the clock; 0 = never.
  int64_t idleTimeoutUs = 2'000'000;
  // `revise`: how far back (event time) final bars stay revisable.
  int64_t reviseHorizonUs = 60'000'000;
  // nbbo ignores a venue whose last top/depth update was received more than
  // this long before the event being processed; 0 = never.
  int64_t quoteStaleUs = 5'000'000;
};

struct SignalStats {
  uint64_t records = 0;        // signal records written
  uint64_t lostRecords = 0;    // reserve() returned nullptr
  uint64_t ignoredTrades = 0;  // price or qty not finite and > 0
  uint64_t lateTrades = 0;     // trades older than their instrument's watermark
  uint64_t lateDropped = 0;    // late trades in no bar (policy drop, or past the revise horizon)
  uint64_t barRevisions = 0;   // bar records re-emitted by policy revise
  uint64_t nonFinite = 0;      // records suppressed because a field was not finite
};

class SignalEngine {
 public:
  explicit SignalEngine(const SignalConfig& config);
  ~SignalEngine();
  SignalEngine(const SignalEngine&) = delete;
  SignalEngine& operator=(const SignalEngine&) = delete;

  // The engine clock (µs): emitTs of every record, and the processing time
  // that idle detection measures. Set it before each input.
  void setNow(int64_t nowUs) { now_ = nowUs; }
  int64_t now() const { return now_; }

  // Called when a symbol is interned; pairs X with X-PERP for basis.
  void setSymbolText(uint32_t id, std::string_view text);

  void onTrade(uint16_t venue, uint32_t symbolId, int64_t tsUs, int64_t recvUs, double price, double qty, bool sell,
               ring::Writer& out);
  // The top of book after a book update or a venue bbo event (0 px/qty = empty side).
  void onTop(uint16_t venue, uint32_t symbolId, int64_t tsUs, int64_t recvUs, double bidPx, double bidQty, double askPx,
             double askQty, bool bookValid, ring::Writer& out);
  // Level quantities of the book, best first, after a book update.
  void onDepth(uint16_t venue, uint32_t symbolId, int64_t tsUs, int64_t recvUs, const double* bidQty, size_t nb,
               const double* askQty, size_t na, bool bookValid, ring::Writer& out);
  // A book state transition. Without a writer only the state changes (the
  // next nbbo / basis computation reflects it); with one, nbbo and basis are
  // re-evaluated right away.
  void onBookState(uint16_t venue, uint32_t symbolId, bool valid);
  void onBookState(uint16_t venue, uint32_t symbolId, bool valid, ring::Writer& out);
  // Processing-time watermark: an instrument without trades for idleTimeoutUs
  // gets watermark = maxTs + (nowUs − clock at its last trade) − lateness, so
  // its open bars close. Sets the clock to nowUs.
  void advanceIdle(int64_t nowUs, ring::Writer& out);
  // Shutdown: no further event can arrive, so each watermark moves to its
  // max trade time and every bar that is complete in event time (end <= max
  // ts) is emitted. The bar holding the last trade is incomplete and is not.
  void flush(ring::Writer& out);

  const SignalStats& stats() const { return stats_; }
  uint64_t lostRecords() const { return stats_.lostRecords; }
  // Output bytes one onTrade / onTop / onDepth may need (records + headers):
  // the headroom the engine keeps free before each input.
  uint32_t headroomBytes() const { return headroom_; }

 private:
  enum : uint8_t { kBookUnknown, kBookValid, kBookInvalid };
  struct Instrument;
  struct Symbol {
    uint32_t inst[8] = {};   // venue & 7 → instrument index + 1
    uint32_t nbboSlots = 0;  // bit v: inst[v] != 0, for v >= 1 (slot 0 never joins the nbbo)
    bool hasPair = false;
    bool isPerp = false;
    uint32_t pair = 0;
    bool nbboEmitted = false;
    Nbbo nbbo;
    BasisLast basis;  // consolidated, on the spot symbol
    int64_t lastTs = 0;
    int64_t lastRecv = 0;
  };

  Instrument& instrument(uint16_t venue, uint32_t symbol);
  Instrument& addInstrument(uint16_t venue, uint32_t symbol);
  Instrument* find(uint16_t venue, uint32_t symbol);
  // A symbol that has an instrument or was passed to setSymbolText (every
  // caller's case): a plain index, no growth check.
  Symbol& symbol(uint32_t id) { return symbols_[id]; }
  Symbol& addSymbol(uint32_t id);
  bool setBook(Instrument& in, bool valid);
  bool quoteValid(const Instrument& in) const;
  int64_t watermark(const Instrument& in) const;
  void finalizeBars(Instrument& in, uint64_t recvNs, ring::Writer& out);
  void consolidate(uint32_t sym, int64_t ts, int64_t refRecv, uint64_t recvNs, ring::Writer& out);
  void consolidatedBasis(uint32_t spot, uint32_t perp, int64_t ts, uint64_t recvNs, ring::Writer& out);
  void venueBasis(Instrument& in, int64_t ts, uint64_t recvNs, ring::Writer& out);

  void emitBar(const Instrument& in, const BarSeries& series, const Bar& bar, uint64_t recvNs, ring::Writer& out);
  template <typename P>
  void write(ring::Writer& out, uint16_t type, uint16_t venue, uint32_t symbol, bool valid, uint64_t recvNs,
             const P& payload, bool finite);

  SignalConfig config_;
  uint32_t retainBars_ = 0;
  uint32_t headroom_ = 0;
  int64_t now_ = 0;
  SignalStats stats_;
  std::vector<std::unique_ptr<Instrument>> instruments_;  // creation order
  std::vector<uint32_t> slotOf_;                          // symbol * 8 + (venue & 7) → index + 1
  std::vector<Symbol> symbols_;                           // by symbol id
  std::unordered_map<std::string, uint32_t> symbolIds_;   // canonical text → id (basis pairing)
};

}  // namespace tickwire::signals
