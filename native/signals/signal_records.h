// Output records of the signal stage (docs/signals.md, "Record layouts"). They
// follow the normalizer's (16–22) and the book stage's (23–25) record types in
// the same output ring; src/engine/signals.ts decodes them. Every payload is
// little-endian, fixed size, and starts with the event time it refers to and
// the time it was computed.
//
// Ring header of every signal record: venue = venue code (0 = consolidated
// across venues), aux = symbol id, flags bit 0 = valid, recvNs = receive time
// of the event that caused it (the engine clock for idle / shutdown output).
#pragma once

#include <cstddef>
#include <cstdint>

namespace tickwire::records {

inline constexpr uint16_t kSignalBbo = 32;
inline constexpr uint16_t kSignalDepthImbalance = 33;
inline constexpr uint16_t kSignalTradeStats = 34;
inline constexpr uint16_t kSignalEma = 35;
inline constexpr uint16_t kSignalOfi = 36;
inline constexpr uint16_t kSignalBar = 37;
inline constexpr uint16_t kSignalNbbo = 38;
inline constexpr uint16_t kSignalBasis = 39;

// flags bit 0: the book the signal depends on was VALID.
inline constexpr uint32_t kSignalValid = 1u << 0;

struct BboSignal {
  int64_t ts;      // event time, µs
  int64_t emitTs;  // engine clock when computed, µs
  double bidPx;
  double bidQty;
  double askPx;
  double askQty;
  double mid;
  double spreadBps;
  double microprice;
  double imbalance;
};
static_assert(sizeof(BboSignal) == 80);

struct DepthImbalanceSignal {
  int64_t ts;
  int64_t emitTs;
  uint32_t levels;  // configured N
  uint32_t reserved;
  double value;
};
static_assert(sizeof(DepthImbalanceSignal) == 32);

struct TradeStatsSignal {
  int64_t ts;  // T, the largest trade time seen: the window is (T − window, T]
  int64_t emitTs;
  int64_t window;  // µs
  uint32_t trades;
  uint32_t reserved;
  double vwap;
  double volume;
  double buyVolume;
  double sellVolume;
  double tfi;
  double rv;
};
static_assert(sizeof(TradeStatsSignal) == 80);

struct EmaSignal {
  int64_t ts;  // time of the EMA state (largest trade time applied)
  int64_t emitTs;
  int64_t halfLife;  // µs
  double value;
};
static_assert(sizeof(EmaSignal) == 32);

struct OfiSignal {
  int64_t ts;  // T, the largest top-of-book time seen: the window is (T − window, T]
  int64_t emitTs;
  int64_t window;  // µs
  double value;
};
static_assert(sizeof(OfiSignal) == 32);

struct BarSignal {
  int64_t ts;  // = start
  int64_t emitTs;
  int64_t interval;  // µs
  int64_t start;     // inclusive
  int64_t end;       // exclusive
  double open;
  double high;
  double low;
  double close;
  double volume;
  double vwap;
  uint32_t trades;
  uint32_t revision;  // 0 = first (final) emission; +1 per late revision
};
static_assert(sizeof(BarSignal) == 96);

struct NbboSignal {
  int64_t ts;
  int64_t emitTs;
  double bidPx;  // 0 with bidVenue 0 when no venue contributes a bid
  double bidQty;
  double askPx;
  double askQty;
  double crossBps;  // (bid − ask) / ask · 10⁴ when crossed, else 0
  uint16_t bidVenue;
  uint16_t askVenue;
  uint8_t crossed;
  uint8_t reserved[3];
};
static_assert(sizeof(NbboSignal) == 64);

// aux = the spot symbol id; venue = the spot venue (0 = consolidated).
struct BasisSignal {
  int64_t ts;
  int64_t emitTs;
  double spotMid;
  double perpMid;
  double bps;
  uint32_t perpSymbol;
  uint16_t spotVenue;  // 0 when consolidated
  uint16_t perpVenue;  // 0 when consolidated
};
static_assert(sizeof(BasisSignal) == 48);

}  // namespace tickwire::records
