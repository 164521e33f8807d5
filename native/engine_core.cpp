#include "engine_core.h"

#include <chrono>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define TICKWIRE_CPU_RELAX() _mm_pause()
#else
#define TICKWIRE_CPU_RELAX() std::this_thread::yield()
#endif

namespace tickwire {

EngineCore::EngineCore(uint8_t* input, uint32_t inputCapacity, uint8_t* output, uint32_t outputCapacity,
                       const EngineConfig& config)
    : reader_(input, inputCapacity), writer_(output, outputCapacity), config_(config) {
  if (config_.batchRecords == 0) config_.batchRecords = 1;
}

EngineCore::~EngineCore() { stopThread(); }

bool EngineCore::process(const ring::RecordView& record) {
  switch (config_.pipeline) {
    case Pipeline::Echo: {
      const ring::RecordMeta meta{record.type, record.venue, record.aux, record.flags, record.recvNs};
      uint8_t* dst = writer_.reserve(record.length, meta);
      if (dst == nullptr) return false;
      std::memcpy(dst, record.payload, record.length);
      writer_.commitLocal();
      counters_.recordsOut.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
  }
  return true;
}

uint32_t EngineCore::drainBatch(uint32_t limit) {
  uint32_t handled = 0;
  ring::RecordView record{};
  while (handled < limit) {
    const uint32_t before = reader_.position();
    if (!reader_.next(record)) break;
    if (!process(record)) {
      reader_.rewind(before);
      counters_.outputFull.fetch_add(1, std::memory_order_relaxed);
      break;
    }
    ++handled;
  }
  if (handled != 0) {
    // Publish our output before handing the input bytes back, so a record is
    // never gone from the input without its results being visible.
    writer_.flush();
    reader_.release();
    counters_.framesIn.fetch_add(handled, std::memory_order_relaxed);
    counters_.batches.fetch_add(1, std::memory_order_relaxed);
  }
  return handled;
}

uint64_t EngineCore::drain(uint64_t maxRecords) {
  uint64_t total = 0;
  for (;;) {
    uint64_t want = config_.batchRecords;
    if (maxRecords != 0 && maxRecords - total < want) want = maxRecords - total;
    const uint32_t got = drainBatch(static_cast<uint32_t>(want));
    total += got;
    if (got < want || (maxRecords != 0 && total >= maxRecords)) return total;
  }
}

void EngineCore::startThread() {
  if (thread_.joinable()) return;
  // Relaxed is enough for the flag: join() in stopThread() is the
  // synchronisation point for everything the thread did.
  running_.store(true, std::memory_order_relaxed);
  thread_ = std::thread([this] { threadLoop(); });
}

void EngineCore::stopThread() {
  if (!thread_.joinable()) return;
  running_.store(false, std::memory_order_relaxed);
  thread_.join();
}

void EngineCore::threadLoop() {
  // Spin briefly when idle (a hand-off costs ~100 ns), then yield, then sleep
  // in short naps so an idle engine does not burn one of the machine's cores.
  uint32_t idle = 0;
  while (running_.load(std::memory_order_relaxed)) {
    if (drainBatch(config_.batchRecords) != 0) {
      idle = 0;
      continue;
    }
    if (reader_.corrupt()) break;
    ++idle;
    if (idle < 2000) {
      TICKWIRE_CPU_RELAX();
    } else if (idle < 2100) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
  // Whatever arrived before stop is still handled, if the output has room.
  while (drainBatch(config_.batchRecords) != 0) {
  }
}

}  // namespace tickwire
