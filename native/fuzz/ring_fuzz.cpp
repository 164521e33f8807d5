// libFuzzer target: the ring reader against a writer gone bad (docs/ring.md,
// "Reader" step 3). A ring of fuzzed capacity, starting at a fuzzed position
// (so the 2^32 wrap is reached), first carries well-formed traffic, checked
// record by record (order, metadata, payload). Then a bad writer overwrites
// record headers, payload bytes or `head`, and the reader drains what is
// left: it may return records, but each one must lie inside the data area;
// when it stops, either the ring is empty or it raised its corrupt flag. The
// data area is allocated to its exact size, so any read past it is an ASan
// report.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <deque>

#include "fuzz/fuzz_common.h"

using namespace tickwire;

namespace {

struct Sent {
  uint32_t seq;
  uint32_t length;
};

uint8_t patternByte(uint32_t seq, uint32_t i) { return static_cast<uint8_t>(seq * 31 + i); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider p(data, size);
  const uint32_t capacity = ring::kMinCapacity << p.ConsumeIntegralInRange<uint32_t>(0, 4);
  fuzz::RingBuffer buf(capacity);
  // Both ends start at a fuzzed (8-aligned) position.
  const uint32_t start = p.ConsumeIntegral<uint32_t>() & ~(ring::kAlign - 1);
  ring::counter(buf.bytes, ring::kOffHead).store(start);
  ring::counter(buf.bytes, ring::kOffTail).store(start);
  FUZZ_CHECK(ring::validate(buf.bytes, ring::kHeaderBytes + capacity) == capacity);
  ring::Writer writer(buf.bytes, capacity);
  ring::Reader reader(buf.bytes, capacity);
  const uint8_t* dataArea = buf.bytes + ring::kHeaderBytes;

  // Well-formed traffic: every record comes back in order and intact.
  std::deque<Sent> inFlight;
  uint32_t seq = 0;
  uint8_t payload[ring::kMinCapacity << 4];
  const int ops = p.ConsumeIntegralInRange<int>(0, 64);
  for (int op = 0; op < ops; ++op) {
    if (p.ConsumeBool()) {
      const uint32_t length = p.ConsumeIntegralInRange<uint32_t>(0, writer.maxPayloadBytes() + 8);
      for (uint32_t i = 0; i < length && i < sizeof payload; ++i) payload[i] = patternByte(seq, i);
      const ring::RecordMeta meta{static_cast<uint16_t>(1 + seq % 7), 3, seq, ~seq, uint64_t{seq} << 20};
      if (writer.write(meta, payload, length)) {
        inFlight.push_back({seq, length});
      } else {
        // Refused only when too large or full (counting the padding to the end).
        const uint32_t need = ring::recordBytes(length);
        const uint32_t toEnd = capacity - (writer.mark() & (capacity - 1));
        const uint32_t padding = toEnd < need ? toEnd : 0;
        FUZZ_CHECK(length > writer.maxPayloadBytes() || writer.freeBytes() < padding + need);
      }
      ++seq;
    } else {
      ring::RecordView r{};
      if (!reader.next(r)) {
        FUZZ_CHECK(inFlight.empty() && !reader.corrupt());
        continue;
      }
      FUZZ_CHECK(!inFlight.empty());
      const Sent s = inFlight.front();
      inFlight.pop_front();
      FUZZ_CHECK(r.aux == s.seq && r.length == s.length && r.flags == ~s.seq && r.venue == 3);
      for (uint32_t i = 0; i < r.length; ++i) FUZZ_CHECK(r.payload[i] == patternByte(s.seq, i));
      if (p.ConsumeBool()) reader.release();
    }
  }
  reader.release();

  // The bad writer: arbitrary bytes at arbitrary offsets, or a wrong head.
  const int damage = p.ConsumeIntegralInRange<int>(0, 8);
  for (int d = 0; d < damage; ++d) {
    switch (p.ConsumeIntegralInRange<int>(0, 3)) {
      case 0: {  // a u32 (a record's length, usually) anywhere in the data area
        const uint32_t at = p.ConsumeIntegralInRange<uint32_t>(0, capacity - 4) & ~3u;
        ring::storePlain<uint32_t>(buf.bytes + ring::kHeaderBytes + at, p.ConsumeIntegral<uint32_t>());
        break;
      }
      case 1: {  // a u16 (a record's type) anywhere in the data area
        const uint32_t at = p.ConsumeIntegralInRange<uint32_t>(0, capacity - 2) & ~1u;
        ring::storePlain<uint16_t>(buf.bytes + ring::kHeaderBytes + at, p.ConsumeIntegral<uint16_t>());
        break;
      }
      case 2:  // head moved by a little
        ring::counter(buf.bytes, ring::kOffHead)
            .store(ring::counter(buf.bytes, ring::kOffHead).load() + p.ConsumeIntegralInRange<uint32_t>(0, 64) - 32);
        break;
      default:  // head anywhere
        ring::counter(buf.bytes, ring::kOffHead).store(p.ConsumeIntegral<uint32_t>());
        break;
    }
  }

  // Whatever the writer did, the reader stays inside the data area and stops.
  ring::RecordView r{};
  uint32_t records = 0;
  while (reader.next(r)) {
    FUZZ_CHECK(r.payload >= dataArea + ring::kRecordHeaderBytes);
    FUZZ_CHECK(r.payload + r.length <= dataArea + capacity);
    FUZZ_CHECK(r.length <= ring::maxPayload(capacity));
    FUZZ_CHECK(++records <= capacity / ring::kAlign);
    volatile uint8_t sink = 0;
    for (uint32_t i = 0; i < r.length; ++i) sink = static_cast<uint8_t>(sink ^ r.payload[i]);  // every byte is readable
    (void)sink;
  }
  if (reader.corrupt()) {
    FUZZ_CHECK(ring::counter(buf.bytes, ring::kOffCorrupt).load() == 1);
    FUZZ_CHECK(!reader.next(r));
  } else {
    FUZZ_CHECK(reader.pendingBytes() == 0);
  }
  reader.release();
  return 0;
}
