// Shared by the libFuzzer targets (scripts/fuzz.sh, docs/reliability.md):
// an always-on check and the structural checks every output record of the
// engine must pass, since the TS decoders (src/engine/records) trust them.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "book/records.h"
#include "normalize/records.h"
#include "ring.h"
#include "signals/signal_records.h"

// Aborts (a crash libFuzzer reports, with the input) when `cond` is false.
#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)

namespace tickwire::fuzz {

// A ring buffer whose control words are suitably aligned for atomic_ref.
struct RingBuffer {
  explicit RingBuffer(uint32_t dataCapacity)
      : capacity(dataCapacity), bytes(new (std::align_val_t{64}) uint8_t[ring::kHeaderBytes + dataCapacity]) {
    reset();
  }
  ~RingBuffer() { ::operator delete[](bytes, std::align_val_t{64}); }
  RingBuffer(const RingBuffer&) = delete;
  RingBuffer& operator=(const RingBuffer&) = delete;
  void reset() { FUZZ_CHECK(ring::initialize(bytes, ring::kHeaderBytes + capacity)); }
  uint32_t capacity;
  uint8_t* bytes;
};

// The payload sizes docs/records.md fixes for each output record type.
inline void checkOutputRecord(const ring::RecordView& r) {
  using namespace records;
  switch (r.type) {
    case kSymbol:
      FUZZ_CHECK(r.length <= 64);  // an empty symbol text is not excluded
      break;
    case kTrade: {
      FUZZ_CHECK(r.length == sizeof(TradePayload));
      TradePayload t;
      std::memcpy(&t, r.payload, sizeof t);
      FUZZ_CHECK(t.idLength <= kTradeIdBytes);
      break;
    }
    case kBbo:
      FUZZ_CHECK(r.length == sizeof(BboPayload));
      break;
    case kBook: {
      FUZZ_CHECK(r.length >= sizeof(BookHeader));
      BookHeader h;
      std::memcpy(&h, r.payload, sizeof h);
      FUZZ_CHECK(r.length == sizeof h + (uint64_t{h.bidCount} + h.askCount) * kLevelBytes);
      break;
    }
    case kDerivative:
      FUZZ_CHECK(r.length == sizeof(DerivativePayload));
      break;
    case kStatus: {
      FUZZ_CHECK(r.length >= sizeof(StatusHeader));
      StatusHeader h;
      std::memcpy(&h, r.payload, sizeof h);
      FUZZ_CHECK(r.length == sizeof h + uint64_t{h.detailLength});
      FUZZ_CHECK(r.aux <= static_cast<uint32_t>(StatusKind::Info));
      break;
    }
    case kReject: {
      FUZZ_CHECK(r.length == sizeof(RejectPayload));
      RejectPayload p;
      std::memcpy(&p, r.payload, sizeof p);
      FUZZ_CHECK(p.sampleLength <= kRejectSampleBytes && p.sampleLength <= p.frameBytes);
      FUZZ_CHECK(r.aux <= 8);  // REJECT_REASONS
      break;
    }
    case kBookStatus:
      FUZZ_CHECK(r.length == sizeof(BookStatusPayload));
      break;
    case kResync:
      FUZZ_CHECK(r.length == sizeof(ResyncPayload));
      break;
    case kBookVerdict:
      FUZZ_CHECK(r.length == sizeof(BookVerdictPayload));
      break;
    case kSignalBbo:
      FUZZ_CHECK(r.length == sizeof(BboSignal));
      break;
    case kSignalDepthImbalance:
      FUZZ_CHECK(r.length == sizeof(DepthImbalanceSignal));
      break;
    case kSignalTradeStats:
      FUZZ_CHECK(r.length == sizeof(TradeStatsSignal));
      break;
    case kSignalEma:
      FUZZ_CHECK(r.length == sizeof(EmaSignal));
      break;
    case kSignalOfi:
      FUZZ_CHECK(r.length == sizeof(OfiSignal));
      break;
    case kSignalBar:
      FUZZ_CHECK(r.length == sizeof(BarSignal));
      break;
    case kSignalNbbo:
      FUZZ_CHECK(r.length == sizeof(NbboSignal));
      break;
    case kSignalBasis:
      FUZZ_CHECK(r.length == sizeof(BasisSignal));
      break;
    default:
      std::fprintf(stderr, "unexpected output record type %u\n", r.type);
      std::abort();
  }
}

// Reads every record the engine published, checks it, and frees the space.
inline void drainOutput(ring::Reader& reader) {
  ring::RecordView r{};
  while (reader.next(r)) checkOutputRecord(r);
  FUZZ_CHECK(!reader.corrupt());
  reader.release();
}

}  // namespace tickwire::fuzz
