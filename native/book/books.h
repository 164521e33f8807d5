// All books of one engine: one BookSync per (venue, instrument), created the
// first time the instrument's book appears. Turns verdicts into book_status
// transitions and resync requests in the output ring.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "book/records.h"
#include "book/sync.h"
#include "ring.h"

namespace tickwire::book {

struct BookConfig {
  // Kraken publishes only the subscribed depth and never announces levels that
  // fall off it, so its book must be cut to that depth after every update.
  uint32_t krakenDepth = 10;
  // Book updates older than this (recv time, µs) on a live feed mark the book STALE; 0 = never.
  int64_t staleAfterUs = 0;
  // Emit a verdict record per update (for `tickwire book`), not just transitions.
  bool emitVerdicts = false;
};

// Output bytes one apply() may need: a verdict, a status and a resync record
// with their headers. The engine keeps this much room free before each frame.
inline constexpr uint32_t kBookRecordsHeadroom = 256;

class BookManager {
 public:
  explicit BookManager(const BookConfig& config) : config_(config) {}

  Verdict apply(uint16_t venue, uint32_t symbol, int64_t ts, int64_t recvUs, const BookUpdate& update,
                ring::Writer& out);
  // Marks books with no update for staleAfterUs as STALE (call now and then).
  void checkStale(int64_t nowUs, ring::Writer& out);

  const BookSync* find(uint16_t venue, uint32_t symbol) const;
  uint64_t gaps() const { return gaps_; }
  uint64_t checksumFailures() const { return checksumFailures_; }
  uint64_t resyncs() const { return resyncs_; }
  uint64_t lostRecords() const { return lostRecords_; }

 private:
  struct Entry {
    std::unique_ptr<BookSync> sync;
    int64_t lastRecvUs = 0;
    uint16_t venue = 0;
    uint32_t symbol = 0;
  };
  Entry& entry(uint16_t venue, uint32_t symbol);
  Entry& add(uint16_t venue, uint32_t symbol);
  // The records of an update that has something to report (apply()).
  void report(Entry& e, BookState before, Verdict v, int64_t ts, int64_t recvUs, ring::Writer& out);
  void transition(Entry& e, BookState from, records::BookReason reason, int64_t ts, ring::Writer& out);
  void write(ring::Writer& out, uint16_t type, uint16_t venue, uint32_t symbol, uint32_t flags, const void* payload,
             uint32_t bytes, uint64_t recvNs);

  BookConfig config_;
  std::vector<Entry> entries_;    // index = slot
  std::vector<uint32_t> slotOf_;  // (symbol * 8 + venue) → slot + 1
  // entry()'s last key and entry: entries_ moves only in add(), which entry()
  // calls before it sets them.
  size_t lastKey_ = SIZE_MAX;
  Entry* lastEntry_ = nullptr;
  uint64_t gaps_ = 0;
  uint64_t checksumFailures_ = 0;
  uint64_t resyncs_ = 0;
  uint64_t lostRecords_ = 0;
};

}  // namespace tickwire::book
