// Native tests of native/ring.h alone (no Node): a C++ writer and a C++ reader
// on two threads, the u32 position wrap, and hostile ring contents.
#include "ring.h"

#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

using namespace tickwire::ring;

namespace {

int failures = 0;
#define CHECK(cond)                                                                 \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                                   \
    }                                                                               \
  } while (0)

uint32_t lengthFor(uint32_t seq, uint32_t max) { return 12 + (seq * 2654435761u >> 7) % (max - 11); }

uint32_t fnv1a(const uint8_t* p, uint32_t n) {
  uint32_t h = 0x811c9dc5u;
  for (uint32_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x01000193u;
  return h;
}

void fill(uint32_t seq, uint32_t len, uint8_t* out) {
  std::memcpy(out, &seq, 4);
  std::memcpy(out + 4, &len, 4);
  for (uint32_t i = 8; i < len - 4; ++i) out[i] = static_cast<uint8_t>(seq * 31u + i);
  const uint32_t h = fnv1a(out, len - 4);
  std::memcpy(out + len - 4, &h, 4);
}

bool intact(const RecordView& r, uint32_t expectedSeq) {
  if (r.length < 12) return false;
  uint32_t seq, len, h;
  std::memcpy(&seq, r.payload, 4);
  std::memcpy(&len, r.payload + 4, 4);
  std::memcpy(&h, r.payload + r.length - 4, 4);
  return seq == expectedSeq && len == r.length && h == fnv1a(r.payload, r.length - 4);
}

std::vector<uint8_t> makeRing(uint32_t capacity) {
  std::vector<uint8_t> mem(kHeaderBytes + capacity);
  CHECK(initialize(mem.data(), mem.size()));
  CHECK(validate(mem.data(), mem.size()) == capacity);
  return mem;
}

void crossThread(uint32_t records) {
  const uint32_t capacity = 1u << 16;
  auto mem = makeRing(capacity);
  std::thread producer([&] {
    Writer w(mem.data(), capacity);
    uint8_t buf[512];
    for (uint32_t seq = 0; seq < records; ++seq) {
      const uint32_t len = lengthFor(seq, 300);
      fill(seq, len, buf);
      // reserve() + publish() rather than write(): a producer that waits for
      // room is not dropping anything, so nothing may be counted.
      uint8_t* dst;
      while ((dst = w.reserve(len, RecordMeta{1, static_cast<uint16_t>(seq), seq, 0, seq})) == nullptr) {
        std::this_thread::yield();
      }
      std::memcpy(dst, buf, len);
      w.publish();
    }
  });
  Reader r(mem.data(), capacity);
  RecordView v{};
  uint32_t expected = 0;
  uint32_t bad = 0;
  while (expected < records && !r.corrupt()) {
    uint32_t n = 0;
    while (r.next(v)) {
      if (!intact(v, expected) || v.aux != expected || v.recvNs != expected) ++bad;
      ++expected;
      if (++n == 64) break;
    }
    r.release();
    if (n == 0) std::this_thread::yield();
  }
  producer.join();
  CHECK(!r.corrupt());
  CHECK(bad == 0);
  CHECK(expected == records);
  CHECK(loadPlain<uint64_t>(mem.data() + kOffDropped) == 0);
}

void positionsWrapAt2Pow32() {
  auto mem = makeRing(256);
  storePlain<uint32_t>(mem.data() + kOffHead, 0xFFFFFF00u);
  storePlain<uint32_t>(mem.data() + kOffTail, 0xFFFFFF00u);
  Writer w(mem.data(), 256);
  Reader r(mem.data(), 256);
  uint8_t buf[128];
  RecordView v{};
  for (uint32_t seq = 0; seq < 100; ++seq) {
    const uint32_t len = lengthFor(seq, 80);
    fill(seq, len, buf);
    CHECK(w.write(RecordMeta{2, 0, 0, 0, 0}, buf, len));
    CHECK(r.next(v));
    CHECK(intact(v, seq));
    r.release();
  }
  CHECK(loadPlain<uint32_t>(mem.data() + kOffHead) < 0xFFFFFF00u);
}

void fullRingCountsDrops() {
  auto mem = makeRing(256);
  Writer w(mem.data(), 256);
  // Room for the oversized write below, which must fail before reading it.
  uint8_t buf[128] = {};
  int accepted = 0;
  while (w.write(RecordMeta{1, 0, 0, 0, 0}, buf, 40)) ++accepted;
  CHECK(accepted == 4);
  CHECK(loadPlain<uint64_t>(mem.data() + kOffDropped) == 1);
  CHECK(!w.write(RecordMeta{1, 0, 0, 0, 0}, buf, maxPayload(256) + 1));
  CHECK(loadPlain<uint64_t>(mem.data() + kOffDropped) == 1);  // oversize is an error, not a drop
}

void rollbackDiscardsUnpublished() {
  auto mem = makeRing(1024);
  Writer w(mem.data(), 1024);
  Reader r(mem.data(), 1024);
  const uint32_t mark = w.mark();
  CHECK(w.reserve(10, RecordMeta{1, 0, 0, 0, 0}) != nullptr);
  w.commitLocal();
  w.rollback(mark);
  w.flush();
  RecordView v{};
  CHECK(!r.next(v));
}

void corruptRingsAreDetected() {
  struct Case {
    const char* name;
    void (*damage)(uint8_t* data);
  };
  const Case cases[] = {
      {"length beyond the ring", [](uint8_t* d) { storePlain<uint32_t>(d, 0x7FFFFFFFu); }},
      {"length past head", [](uint8_t* d) { storePlain<uint32_t>(d, 100); }},
      {"bogus padding", [](uint8_t* d) { storePlain<uint16_t>(d + 4, 0); }},
  };
  for (const Case& c : cases) {
    auto mem = makeRing(256);
    Writer w(mem.data(), 256);
    uint8_t buf[8] = {};
    CHECK(w.write(RecordMeta{1, 0, 0, 0, 0}, buf, sizeof buf));
    c.damage(mem.data() + kHeaderBytes);
    Reader r(mem.data(), 256);
    RecordView v{};
    if (r.next(v) || !r.corrupt()) std::fprintf(stderr, "not detected: %s\n", c.name);
    CHECK(r.corrupt());
  }
  // Header lies: validate() refuses it before anyone trusts it.
  auto mem = makeRing(256);
  storePlain<uint32_t>(mem.data() + kOffCapacity, 300);
  CHECK(validate(mem.data(), mem.size()) == 0);
}

}  // namespace

int main() {
  crossThread(2'000'000);
  positionsWrapAt2Pow32();
  fullRingCountsDrops();
  rollbackDiscardsUnpublished();
  corruptRingsAreDetected();
  if (failures != 0) {
    std::fprintf(stderr, "ring_test: %d check(s) failed\n", failures);
    return 1;
  }
  std::printf("ring_test: all checks passed\n");
  return 0;
}
