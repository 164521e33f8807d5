// The engine core: drains the input ring in batches, runs each frame through
// the processing pipeline and writes the results to the output ring. It knows
// nothing about Node, so native tests, fuzzers and benchmarks drive it directly;
// native/addon.cpp is its JS face.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>

#include "book/books.h"
#include "normalize/normalizer.h"
#include "ring.h"
#include "signals/signals.h"

namespace tickwire {

enum class Pipeline : uint8_t {
  // Copies every input record to the output unchanged: the transport on its
  // own, for tests and for measuring the rings and the boundary crossing.
  Echo,
  // Raw venue frames (type 1: venue code in `venue`, market in `flags`) to
  // canonical records (docs/records.md) through native/normalize.
  Normalize,
};

struct EngineConfig {
  Pipeline pipeline = Pipeline::Echo;
  // Records handled before the output is published and the input released:
  // bounds the latency a batch adds and how long the writer waits for room.
  uint32_t batchRecords = 256;
  // Normalize: frames larger than this are rejected as `oversized`.
  uint32_t maxFrameBytes = norm::kDefaultMaxFrameBytes;
  // Normalize: keep L2 books from the book events (docs/books.md).
  bool books = true;
  book::BookConfig book;
  // Normalize: compute signals from trades, tops and books (docs/signals.md).
  bool signals = true;
  signals::SignalConfig signal;
};

// Counters are written only by the thread that runs the engine and may be read
// from any thread, hence relaxed atomics (a metric needs no ordering).
struct EngineCounters {
  std::atomic<uint64_t> framesIn{0};
  std::atomic<uint64_t> recordsOut{0};
  std::atomic<uint64_t> outputFull{0};  // batches cut short because the output ring was full
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> bookUpdates{0};
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
  // Book counters; read them only while the engine is not running on its thread.
  const book::BookManager* books() const { return books_.get(); }
  const signals::SignalEngine* signalEngine() const { return signals_.get(); }

 private:
  // What drainBatch runs per record, decided once from the configuration so
  // the per-record loop carries no test of it. One instance of the normalize
  // loop, with or without the stages after the normalizer: the normalizer
  // and the venues' scans are then inlined into it once.
  enum class Mode : uint8_t { Echo, Normalize };
  // Returns false when the output ring lacks room for this record's results.
  // `recordsOut` accumulates the records the normalizer (or echo) wrote.
  template <Mode mode>
  bool process(const ring::RecordView& record, uint64_t& recordsOut);
  template <Mode mode>
  uint32_t drainRecords(uint32_t limit);
  uint32_t drainBatch(uint32_t limit);
  // Feeds the book events of the frame just normalized to their books.
  void applyBooks(uint16_t venue, int64_t recvUs);
  // Feeds the trades, venue quotes and new symbols of the records in [from, to) to the signals.
  void feedSignals(uint32_t from, uint32_t to, int64_t recvUs);
  // After a book update: its state, top and depth to the signals. `known`: the
  // book before the update, null when the update created it.
  void bookToSignals(uint16_t venue, uint32_t symbol, int64_t ts, int64_t recvUs, const book::BookSync* known,
                     bool wasValid, book::Verdict verdict);
  // Output room the stages after the normalizer may need for a frame of `bytes`.
  uint32_t stageHeadroom(uint32_t bytes) const;
  void threadLoop();

  ring::Reader reader_;
  ring::Writer writer_;
  EngineConfig config_;
  Mode mode_ = Mode::Echo;
  bool stages_ = false;  // Normalize: books or signals
  EngineCounters counters_;
  std::unique_ptr<norm::Normalizer> normalizer_;    // Pipeline::Normalize only
  std::unique_ptr<book::BookManager> books_;        // Pipeline::Normalize with books
  std::unique_ptr<signals::SignalEngine> signals_;  // Pipeline::Normalize with signals
  std::vector<double> bidQty_, askQty_;             // depthLevels each: a book's level quantities for the signals
  int64_t nextIdleUs_ = 0;
  int64_t nextStaleCheckUs_ = 0;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace tickwire
