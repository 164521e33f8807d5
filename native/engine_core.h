// The engine core: drains the input ring in batches, runs each frame through
// the processing pipeline and writes the results to the output ring. It knows
// nothing about Node, so native tests, fuzzers and benchmarks drive it directly;
// native/addon.cpp is its JS face.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <thread>

#include "ring.h"

namespace tickwire {

enum class Pipeline : uint8_t {
  // Copies every input record to the output unchanged: the transport on its
  // own, for tests and for measuring the rings and the boundary crossing.
  Echo,
};

struct EngineConfig {
  Pipeline pipeline = Pipeline::Echo;
  // Records handled before the output is published and the input released:
  // bounds the latency a batch adds and how long the writer waits for room.
  uint32_t batchRecords = 256;
};

// Counters are written only by the thread that runs the engine and may be read
// from any thread, hence relaxed atomics (a metric needs no ordering).
struct EngineCounters {
  std::atomic<uint64_t> framesIn{0};
  std::atomic<uint64_t> recordsOut{0};
  std::atomic<uint64_t> outputFull{0};  // batches cut short because the output ring was full
  std::atomic<uint64_t> batches{0};
};

class EngineCore {
 public:
  EngineCore(uint8_t* input, uint32_t inputCapacity, uint8_t* output, uint32_t outputCapacity,
             const EngineConfig& config);
  ~EngineCore();
  EngineCore(const EngineCore&) = delete;
  EngineCore& operator=(const EngineCore&) = delete;

  // Handles up to `maxRecords` input records (0 = all available). Stops early
  // when the output ring is full: the record that did not fit stays in the
  // input ring and is handled by a later call. Returns the records handled.
  uint64_t drain(uint64_t maxRecords);

  // Thread mode: a native thread owned by the engine drains the input ring
  // until stopThread(), which joins it. Not to be mixed with drain() calls.
  void startThread();
  void stopThread();
  bool threadRunning() const { return thread_.joinable(); }

  bool inputCorrupt() const { return reader_.corrupt(); }
  const EngineCounters& counters() const { return counters_; }

 private:
  // Returns false when the output ring lacks room for this record's results.
  bool process(const ring::RecordView& record);
  uint32_t drainBatch(uint32_t limit);
  void threadLoop();

  ring::Reader reader_;
  ring::Writer writer_;
  EngineConfig config_;
  EngineCounters counters_;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace tickwire
