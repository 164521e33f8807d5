// libFuzzer target: raw frames of one venue through the whole engine
// pipeline (normalizer, books, signals), compiled once per venue with
// TW_FUZZ_VENUE (venue code) and TW_FUZZ_MARKET (0 spot, 1 perp, 2 both).
//
// The input is one frame, or several separated by 0x1E (RFC 7464's record
// separator; never valid inside JSON text), so book sequences can be fuzzed.
// Every frame goes through a fresh EngineCore's input ring; every output
// record must pass the structural checks of fuzz_common.h, the output ring
// must stay valid, and the engine must never get stuck on a frame.
#include <cstddef>
#include <cstdint>

#include "engine_core.h"
#include "fuzz/fuzz_common.h"

#ifndef TW_FUZZ_VENUE
#error "TW_FUZZ_VENUE (venue code) must be defined"
#endif
#ifndef TW_FUZZ_MARKET
#define TW_FUZZ_MARKET 0
#endif

using namespace tickwire;

namespace {

constexpr uint8_t kSeparator = 0x1E;
constexpr uint64_t kStartNs = 1'700'000'000'000'000'000ull;
constexpr uint64_t kStepNs = 250'000'000;  // 250 ms between frames: idle bars and staleness fire

uint32_t inputPending(const fuzz::RingBuffer& in) {
  return ring::counter(in.bytes, ring::kOffHead).load() - ring::counter(in.bytes, ring::kOffTail).load();
}

// Writes one frame and lets the engine handle it, draining its output.
void feed(EngineCore& engine, ring::Writer& writer, ring::Reader& reader, const fuzz::RingBuffer& in,
          const uint8_t* frame, uint32_t length, uint32_t market, uint64_t recvNs) {
  if (length > writer.maxPayloadBytes()) return;  // refused by the ring itself
  const ring::RecordMeta meta{records::kFrame, TW_FUZZ_VENUE, 7, market, recvNs};
  FUZZ_CHECK(writer.write(meta, frame, length));  // the engine drained everything before
  for (int attempt = 0; inputPending(in) != 0; ++attempt) {
    engine.drain(0);
    fuzz::drainOutput(reader);
    // With an empty output ring the engine must always make progress.
    FUZZ_CHECK(attempt < 2);
  }
  FUZZ_CHECK(!engine.inputCorrupt());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::RingBuffer in(1u << 22);
  static fuzz::RingBuffer out(1u << 24);
  in.reset();
  out.reset();
  EngineConfig config;
  config.pipeline = Pipeline::Normalize;
  config.batchRecords = 3;
  config.book.emitVerdicts = true;
  config.book.staleAfterUs = 600'000;
  EngineCore engine(in.bytes, in.capacity, out.bytes, out.capacity, config);
  ring::Writer writer(in.bytes, in.capacity);
  ring::Reader reader(out.bytes, out.capacity);

  uint64_t recvNs = kStartNs;
  size_t start = 0;
  while (start <= size) {
    size_t end = start;
    while (end < size && data[end] != kSeparator) ++end;
    const auto length = static_cast<uint32_t>(end - start);
    const uint8_t* frame = data + start;
    if (TW_FUZZ_MARKET == 2) {
      feed(engine, writer, reader, in, frame, length, 0, recvNs);
      feed(engine, writer, reader, in, frame, length, 1, recvNs);
    } else {
      feed(engine, writer, reader, in, frame, length, TW_FUZZ_MARKET, recvNs);
    }
    recvNs += kStepNs;
    start = end + 1;
  }
  return 0;
}
