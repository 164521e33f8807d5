// Output record types of the normalize pipeline. docs/records.md is the
// specification; src/engine/records.ts decodes the same layout. Every payload
// is little-endian and starts 8-byte aligned (the ring aligns records).
#pragma once

#include <cstddef>
#include <cstdint>

namespace tickwire::records {

// Input: one raw venue frame (venue code in `venue`, market in `flags`).
inline constexpr uint16_t kFrame = 1;

inline constexpr uint16_t kSymbol = 16;      // aux = symbol id; payload = symbol text (UTF-8)
inline constexpr uint16_t kTrade = 17;       // aux = symbol id
inline constexpr uint16_t kBbo = 18;         // aux = symbol id
inline constexpr uint16_t kBook = 19;        // aux = symbol id; variable length
inline constexpr uint16_t kDerivative = 20;  // aux = symbol id
inline constexpr uint16_t kStatus = 21;      // aux = status kind (STATUS_KINDS index)
inline constexpr uint16_t kReject = 22;      // aux = reject reason (REJECT_REASONS index)

// ts sentinel: the venue sent no exchange time (canonical `ts: null`).
inline constexpr int64_t kNullTs = INT64_MIN;

// trade: flags bit 0 = side (0 buy, 1 sell).
inline constexpr uint32_t kTradeSell = 1u << 0;
inline constexpr size_t kTradeIdBytes = 64;
struct TradePayload {
  int64_t ts;
  double price;
  double qty;
  uint32_t idLength;
  uint32_t reserved;
  char id[kTradeIdBytes];
};
static_assert(sizeof(TradePayload) == 96);
// The fields of a trade before its id.
struct TradeHead {
  int64_t ts;
  double price;
  double qty;
  uint32_t idLength;
  uint32_t reserved;
};
static_assert(sizeof(TradeHead) == offsetof(TradePayload, id));

struct BboPayload {
  int64_t ts;
  double bidPx;
  double bidQty;
  double askPx;
  double askQty;
};
static_assert(sizeof(BboPayload) == 40);

// book: flags bit 0 snapshot, bits 1..3 presence of seq / prevSeq / checksum.
inline constexpr uint32_t kBookSnapshot = 1u << 0;
inline constexpr uint32_t kBookHasSeq = 1u << 1;
inline constexpr uint32_t kBookHasPrevSeq = 1u << 2;
inline constexpr uint32_t kBookHasChecksum = 1u << 3;
struct BookHeader {
  int64_t ts;
  int64_t seq;
  int64_t prevSeq;
  int64_t checksum;
  uint32_t bidCount;
  uint32_t askCount;
};
static_assert(sizeof(BookHeader) == 40);
// Followed by bidCount then askCount levels of {f64 price, f64 qty}.
inline constexpr size_t kLevelBytes = 16;

// derivative: flags = presence bitmask.
inline constexpr uint32_t kDerivMark = 1u << 0;
inline constexpr uint32_t kDerivIndex = 1u << 1;
inline constexpr uint32_t kDerivFunding = 1u << 2;
inline constexpr uint32_t kDerivNextFunding = 1u << 3;
struct DerivativePayload {
  int64_t ts;
  double markPx;
  double indexPx;
  double fundingRate;
  int64_t nextFundingTs;
};
static_assert(sizeof(DerivativePayload) == 40);

// status: flags bit 0 = detail present. Variable length: the detail text
// (a venue's error message, copied whole) follows the 8-byte header.
inline constexpr uint32_t kStatusHasDetail = 1u << 0;
struct StatusHeader {
  uint32_t detailLength;
  uint32_t reserved;
};
static_assert(sizeof(StatusHeader) == 8);

inline constexpr size_t kRejectSampleBytes = 96;
struct RejectPayload {
  uint32_t frameBytes;
  uint32_t sampleLength;
  uint8_t sample[kRejectSampleBytes];
};
static_assert(sizeof(RejectPayload) == 104);

enum class StatusKind : uint8_t { Subscribed, Unsubscribed, Heartbeat, Pong, VenueError, Info };

}  // namespace tickwire::records
