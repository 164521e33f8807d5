// Keeps one instrument's L2 book in sync with a venue's feed: applies each
// venue's sequencing and checksum rules (docs/books.md), decides a verdict per
// update and tracks the data-quality state. Buffers are reserved up front.
#pragma once

#include <cstdint>
#include <vector>

#include "book/l2book.h"
#include "normalize/decimal.h"

namespace tickwire::book {

enum class SyncRule : uint8_t { BinanceSpot, BinanceFutures, Coinbase, CoinbaseAdvanced, Kraken, Bybit, Okx };

// Names match the fixtures' expected.sync.verdict (docs/books.md). The order
// matters: verdicts before Snapshot report nothing (BookManager::apply).
enum class Verdict : uint8_t {
  Discard,           // older than the book, or ignored while waiting for a snapshot
  Buffered,          // held until the snapshot it must follow arrives
  ApplyFirst,        // first delta applied after a snapshot (Binance)
  Apply,             // delta applied, in sequence
  Snapshot,          // book replaced
  Gap,               // a delta is missing: book invalid until resynced
  ChecksumMismatch,  // applied, but the venue's checksum disagrees
  Crossed,           // best bid >= best ask after applying
  BadLevel,          // a level could not be represented (overflowing decimal)
};

enum class BookState : uint8_t { Syncing, Valid, Resyncing, Stale };

const char* verdictName(Verdict v);
const char* stateName(BookState s);

// {bid, px, qty}: the normalizer's fixed-point level, applied as it is.
using LevelUpdate = norm::BookLevel;

// Each flag follows its value, as in the normalizer's PendingBook: the engine
// then copies one into the other field by field, without packing the flags
// into one word first.
struct BookUpdate {
  bool snapshot = false;
  int64_t seq = 0;
  bool hasSeq = false;
  int64_t prevSeq = 0;
  bool hasPrevSeq = false;
  int64_t checksum = 0;
  bool hasChecksum = false;
  const LevelUpdate* levels = nullptr;
  uint32_t count = 0;
};

class BookSync {
 public:
  // depth: levels kept per side after each update (0 = all the venue sends).
  BookSync(SyncRule rule, uint32_t depth, uint32_t reserveLevels = 1024);

  Verdict onUpdate(const BookUpdate& update);
  // Marks the book stale (no update for too long on a live connection), or back.
  void setStale(bool stale);

  BookState state() const { return state_; }
  const L2Book& book() const { return book_; }
  // True once after each transition into Resyncing: the engine then asks the
  // connector for a fresh snapshot of this instrument.
  bool takeResyncRequest();
  bool resyncRequested() const { return resyncRequested_; }
  uint64_t bufferedDropped() const { return bufferedDropped_; }

 private:
  Verdict applySnapshot(const BookUpdate& u);
  Verdict applyDelta(const BookUpdate& u);
  Verdict sequenceVerdict(const BookUpdate& u) const;
  Verdict afterApply(const BookUpdate& u, Verdict ok);
  // afterApply()'s checks, when there is a checksum or the book is crossed.
  Verdict verify(const BookUpdate& u, Verdict ok);
  bool applyLevels(const LevelUpdate* levels, uint32_t count);
  void buffer(const BookUpdate& u);
  void replayBuffered();
  void fail();
  bool waitsForRestSnapshot() const { return rule_ == SyncRule::BinanceSpot || rule_ == SyncRule::BinanceFutures; }

  struct Pending {
    int64_t seq, prevSeq;
    uint32_t offset, count;
    bool hasSeq, hasPrevSeq;
  };

  SyncRule rule_;
  uint32_t depth_;
  L2Book book_;
  BookState state_ = BookState::Syncing;
  BookState beforeStale_ = BookState::Syncing;
  bool haveSnapshot_ = false;
  bool appliedSinceSnapshot_ = false;
  bool hasLastSeq_ = false;
  int64_t lastSeq_ = 0;
  bool resyncRequested_ = false;
  std::vector<Pending> pending_;
  std::vector<LevelUpdate> pendingLevels_;
  uint64_t bufferedDropped_ = 0;
};

}  // namespace tickwire::book
