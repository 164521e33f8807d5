// Output records of the book stage (docs/records.md, "Book stage"). They follow
// the normalizer's record types in the same output ring.
#pragma once

#include <cstdint>

namespace tickwire::records {

inline constexpr uint16_t kBookStatus = 23;   // aux = symbol id; flags = new state
inline constexpr uint16_t kResync = 24;       // aux = symbol id; flags = reason
inline constexpr uint16_t kBookVerdict = 25;  // aux = symbol id; flags = verdict | state << 8 | hasTop << 16

// Why a book changed state (and why a resync is asked for).
enum class BookReason : uint8_t { Snapshot, Gap, ChecksumMismatch, Crossed, BadLevel, Stale, Resumed };

struct BookStatusPayload {
  int64_t ts;  // event time of the update that caused it (recv time for staleness), µs
  uint8_t state;
  uint8_t previous;
  uint8_t reason;
  uint8_t reserved[5];
};
static_assert(sizeof(BookStatusPayload) == 16);

struct ResyncPayload {
  int64_t ts;
  uint8_t reason;
  uint8_t reserved[7];
};
static_assert(sizeof(ResyncPayload) == 16);

// Only with the engine's `bookVerdicts` option (`tickwire book`): one per
// book update, with the top of the book after it.
struct BookVerdictPayload {
  int64_t ts;
  double bidPx;
  double bidQty;
  double askPx;
  double askQty;
};
static_assert(sizeof(BookVerdictPayload) == 40);

}  // namespace tickwire::records
