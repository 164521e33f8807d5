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

namespace {
// Output room kept free for the stages after the normalizer (books, signals).
constexpr uint32_t kStageHeadroom = 8192;
// Signal records per byte of frame, generously: a trade is ~40 bytes of text
// and may produce ~600 bytes of signals (windows, EMAs, bars).
constexpr uint32_t kSignalBytesPerFrameByte = 32;

// Only the engine's thread writes a counter, so a relaxed load and store add to
// it without the locked read-modify-write of fetch_add (~20 cycles a frame).
inline void bump(std::atomic<uint64_t>& counter, uint64_t n) {
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}
}  // namespace

EngineCore::EngineCore(uint8_t* input, uint32_t inputCapacity, uint8_t* output, uint32_t outputCapacity,
                       const EngineConfig& config)
    : reader_(input, inputCapacity), writer_(output, outputCapacity), config_(config) {
  if (config_.batchRecords == 0) config_.batchRecords = 1;
  if (config_.pipeline == Pipeline::Normalize) {
    normalizer_ = std::make_unique<norm::Normalizer>(config_.maxFrameBytes);
    if (config_.books) {
      books_ = std::make_unique<book::BookManager>(config_.book);
    }
    if (config_.signals) {
      signals_ = std::make_unique<signals::SignalEngine>(config_.signal);
      bidQty_.resize(config_.signal.depthLevels);
      askQty_.resize(config_.signal.depthLevels);
    }
    mode_ = Mode::Normalize;
    stages_ = books_ || signals_;
  }
}

EngineCore::~EngineCore() { stopThread(); }

template <EngineCore::Mode mode>
inline bool EngineCore::process(const ring::RecordView& record, uint64_t& recordsOut) {
  if constexpr (mode == Mode::Echo) {
    const ring::RecordMeta meta{record.type, record.venue, record.aux, record.flags, record.recvNs};
    uint8_t* dst = writer_.append(record.length, meta);
    if (dst == nullptr) return false;
    std::memcpy(dst, record.payload, record.length);
    ++recordsOut;
    return true;
  } else {
    // Input records that are not frames are consumed without output.
    if (record.type != records::kFrame) [[unlikely]] {
      return true;
    }
    // The book and signal stages write after the normalizer and cannot undo
    // what they applied, so the room they may need is set aside first.
    if (stages_ && writer_.freeBytes() < stageHeadroom(record.length)) return false;
    const uint32_t frameStart = writer_.mark();
    uint32_t written = 0;
    // False: the output ring is full; the normalizer left nothing staged.
    if (!normalizer_->process(record, writer_, written)) return false;
    recordsOut += written;
    if (!stages_) return true;  // normalize only: no stage to feed
    const auto recvUs = static_cast<int64_t>(record.recvNs / 1000);
    if (signals_) feedSignals(frameStart, writer_.mark(), recvUs);
    if (books_) applyBooks(record.venue, recvUs);
    if (signals_ && recvUs >= nextIdleUs_) {
      // Idle instruments' bars close on receive time, so a replay gives the same bars.
      signals_->advanceIdle(recvUs, writer_);
      nextIdleUs_ = recvUs + 100'000;
    }
    return true;
  }
}

// Out of line: applyBooks() then keeps the registers and stack frame of the
// book stage alone, with or without signals.
[[gnu::noinline]] void EngineCore::bookToSignals(uint16_t venue, uint32_t symbol, int64_t ts, int64_t recvUs,
                                                 const book::BookSync* known, bool wasValid, book::Verdict verdict) {
  // A BookSync never moves (the manager holds it by unique_ptr): only a new book needs the lookup.
  const book::BookSync& sync = known != nullptr ? *known : *books_->find(venue, symbol);
  const bool valid = sync.state() == book::BookState::Valid;
  if (known == nullptr || valid != wasValid) signals_->onBookState(venue, symbol, valid, writer_);
  if (verdict == book::Verdict::Discard || verdict == book::Verdict::Buffered) return;
  const book::L2Book& b = sync.book();
  const auto& bids = b.bids();
  const auto& asks = b.asks();
  signals_->onTop(venue, symbol, ts, recvUs, bids.empty() ? 0 : b.toPrice(bids.at(0).px),
                  bids.empty() ? 0 : b.toQty(bids.at(0).qty), asks.empty() ? 0 : b.toPrice(asks.at(0).px),
                  asks.empty() ? 0 : b.toQty(asks.at(0).qty), valid, writer_);
  // The first depthLevels quantities of a side into its buffer (sized once, so no per-level capacity check).
  auto levels = [&b](const auto& side, std::vector<double>& qty) {
    const size_t n = side.size() < qty.size() ? side.size() : qty.size();
    for (size_t i = 0; i < n; ++i) qty[i] = b.toQty(side.at(i).qty);
    return n;
  };
  const size_t nb = levels(bids, bidQty_);
  const size_t na = levels(asks, askQty_);
  signals_->onDepth(venue, symbol, ts, recvUs, bidQty_.data(), nb, askQty_.data(), na, valid, writer_);
}

uint32_t EngineCore::stageHeadroom(uint32_t bytes) const {
  uint64_t need = kStageHeadroom;
  if (signals_) need += static_cast<uint64_t>(bytes) * kSignalBytesPerFrameByte;
  // Never ask for more than half the ring, or a huge frame would wait forever;
  // beyond that the stages count what did not fit (lostRecords).
  const uint64_t cap = writer_.maxPayloadBytes();
  return static_cast<uint32_t>(need < cap ? need : cap);
}

void EngineCore::feedSignals(uint32_t from, uint32_t to, int64_t recvUs) {
  signals_->setNow(recvUs);
  writer_.forEachStaged(from, to, [&](const ring::RecordView& r) {
    switch (r.type) {
      case records::kSymbol:
        signals_->setSymbolText(r.aux, std::string_view(reinterpret_cast<const char*>(r.payload), r.length));
        break;
      case records::kTrade: {
        records::TradePayload t;
        std::memcpy(&t, r.payload, sizeof t);
        const int64_t ts = t.ts == records::kNullTs ? recvUs : t.ts;
        signals_->onTrade(r.venue, r.aux, ts, recvUs, t.price, t.qty, (r.flags & records::kTradeSell) != 0, writer_);
        break;
      }
      case records::kBbo: {
        // An instrument with a book takes its top from the book; a venue quote
        // stream is the source only where no book is kept.
        if (books_ && books_->find(r.venue, r.aux) != nullptr) break;
        records::BboPayload b;
        std::memcpy(&b, r.payload, sizeof b);
        const int64_t ts = b.ts == records::kNullTs ? recvUs : b.ts;
        signals_->onTop(r.venue, r.aux, ts, recvUs, b.bidPx, b.bidQty, b.askPx, b.askQty, true, writer_);
        break;
      }
      default:
        break;
    }
  });
}

void EngineCore::applyBooks(uint16_t venue, int64_t recvUs) {
  const norm::BookLevel* const levels = normalizer_->frameLevels();
  for (const norm::Normalizer::PendingBook& pending : normalizer_->frameBooks()) {
    // Every field given: nothing is zeroed first.
    const book::BookUpdate update{.snapshot = pending.snapshot,
                                  .seq = pending.seq.value,
                                  .hasSeq = pending.seq.present,
                                  .prevSeq = pending.prevSeq.value,
                                  .hasPrevSeq = pending.prevSeq.present,
                                  .checksum = pending.checksum.value,
                                  .hasChecksum = pending.checksum.present,
                                  .levels = levels + pending.firstLevel,
                                  .count = pending.bidCount + pending.askCount};
    const int64_t ts = pending.ts == records::kNullTs ? recvUs : pending.ts;
    // The book's state before the update matters only to the signals.
    const book::BookSync* known = signals_ ? books_->find(venue, pending.symbol) : nullptr;
    const bool wasValid = known != nullptr && known->state() == book::BookState::Valid;
    const book::Verdict verdict = books_->apply(venue, pending.symbol, ts, recvUs, update, writer_);
    bump(counters_.bookUpdates, 1);
    if (signals_) bookToSignals(venue, pending.symbol, ts, recvUs, known, wasValid, verdict);
  }
  if (recvUs >= nextStaleCheckUs_) {
    // Staleness is judged on receive time, a few times a second at most.
    books_->checkStale(recvUs, writer_);
    nextStaleCheckUs_ = recvUs + 100'000;
  }
}

template <EngineCore::Mode mode>
uint32_t EngineCore::drainRecords(uint32_t limit) {
  uint32_t handled = 0;
  // Counted per batch, not per record: a counter is a load and a store.
  uint64_t recordsOut = 0;
  ring::RecordView record{};
  while (handled < limit) {
    const uint32_t before = reader_.position();
    if (!reader_.next(record)) break;
    if (!process<mode>(record, recordsOut)) {
      reader_.rewind(before);
      bump(counters_.outputFull, 1);
      break;
    }
    ++handled;
  }
  if (handled != 0) {
    // Publish our output before handing the input bytes back, so a record is
    // never gone from the input without its results being visible.
    writer_.flush();
    reader_.release();
    bump(counters_.framesIn, handled);
    bump(counters_.recordsOut, recordsOut);
    bump(counters_.batches, 1);
  }
  return handled;
}

uint32_t EngineCore::drainBatch(uint32_t limit) {
  switch (mode_) {
    case Mode::Echo:
      return drainRecords<Mode::Echo>(limit);
    case Mode::Normalize:
      return drainRecords<Mode::Normalize>(limit);
  }
  return 0;
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
