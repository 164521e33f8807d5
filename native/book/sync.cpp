#include "book/sync.h"

namespace tickwire::book {

namespace {
// Deltas held while a Binance REST snapshot is on its way; beyond this the
// oldest are useless anyway (the snapshot will be newer), so start over.
constexpr size_t kMaxPendingUpdates = 4096;
constexpr size_t kMaxPendingLevels = 1 << 18;
}  // namespace

const char* verdictName(Verdict v) {
  switch (v) {
    case Verdict::Discard:
      return "discard";
    case Verdict::Buffered:
      return "buffered";
    case Verdict::ApplyFirst:
      return "apply_first";
    case Verdict::Apply:
      return "apply";
    case Verdict::Snapshot:
      return "snapshot";
    case Verdict::Gap:
      return "gap";
    case Verdict::ChecksumMismatch:
      return "checksum_mismatch";
    case Verdict::Crossed:
      return "crossed";
    case Verdict::BadLevel:
      return "bad_level";
  }
  return "unknown";
}

const char* stateName(BookState s) {
  switch (s) {
    case BookState::Syncing:
      return "SYNCING";
    case BookState::Valid:
      return "VALID";
    case BookState::Resyncing:
      return "RESYNCING";
    case BookState::Stale:
      return "STALE";
  }
  return "UNKNOWN";
}

BookSync::BookSync(SyncRule rule, uint32_t depth, uint32_t reserveLevels)
    : rule_(rule), depth_(depth), book_(reserveLevels) {
  if (waitsForRestSnapshot()) {
    pending_.reserve(kMaxPendingUpdates);
    pendingLevels_.reserve(kMaxPendingLevels);
  }
}

bool BookSync::takeResyncRequest() {
  const bool r = resyncRequested_;
  resyncRequested_ = false;
  return r;
}

void BookSync::setStale(bool stale) {
  if (stale && state_ != BookState::Stale) {
    beforeStale_ = state_;
    state_ = BookState::Stale;
  } else if (!stale && state_ == BookState::Stale) {
    state_ = beforeStale_;
  }
}

// Out of line (as the other rare paths below): applyDelta() then keeps the
// registers and stack frame of its common path only.
[[gnu::noinline]] void BookSync::fail() {
  state_ = BookState::Resyncing;
  haveSnapshot_ = false;
  hasLastSeq_ = false;
  resyncRequested_ = true;
  pending_.clear();
  pendingLevels_.clear();
}

bool BookSync::applyLevels(const LevelUpdate* levels, uint32_t count) {
  if (book_.apply(levels, count) != ApplyStatus::Ok) return false;
  if (depth_ != 0) book_.truncate(depth_);
  return true;
}

Verdict BookSync::afterApply(const BookUpdate& u, Verdict ok) {
  // Usually nothing to verify and nothing wrong: no call then.
  if (!u.hasChecksum && !book_.crossed()) [[likely]] {
    return ok;
  }
  return verify(u, ok);
}

[[gnu::noinline]] Verdict BookSync::verify(const BookUpdate& u, Verdict ok) {
  if (u.hasChecksum) {
    bool mismatch = false;
    if (rule_ == SyncRule::Kraken) {
      mismatch = book_.krakenChecksum() != static_cast<uint32_t>(u.checksum);
    } else if (rule_ == SyncRule::Okx && u.checksum != 0) {
      // OKX deprecated the checksum in 2026 and sends 0: nothing to verify then.
      mismatch = book_.okxChecksum() != static_cast<int32_t>(u.checksum);
    }
    if (mismatch) {
      fail();
      return Verdict::ChecksumMismatch;
    }
  }
  if (book_.crossed()) {
    fail();
    return Verdict::Crossed;
  }
  return ok;
}

// The sequencing decision alone, before anything is applied.
Verdict BookSync::sequenceVerdict(const BookUpdate& u) const {
  switch (rule_) {
    case SyncRule::BinanceSpot:
      // seq = u, prevSeq = U − 1. Older than the book: skip. Starting after
      // the book's id + 1: something was missed. Otherwise it continues the book.
      if (!u.hasSeq || !u.hasPrevSeq || !hasLastSeq_) return Verdict::Gap;
      if (u.seq <= lastSeq_) return Verdict::Discard;
      if (u.prevSeq > lastSeq_) return Verdict::Gap;
      return appliedSinceSnapshot_ ? Verdict::Apply : Verdict::ApplyFirst;
    case SyncRule::BinanceFutures:
      // seq = u, prevSeq = pu. Before the first applied event: skip u <
      // lastUpdateId and accept pu <= lastUpdateId <= u (everything after pu
      // is in this event). Afterwards pu must equal the previous u.
      if (!u.hasSeq || !u.hasPrevSeq || !hasLastSeq_) return Verdict::Gap;
      if (!appliedSinceSnapshot_) {
        if (u.seq < lastSeq_) return Verdict::Discard;
        return u.prevSeq <= lastSeq_ ? Verdict::ApplyFirst : Verdict::Gap;
      }
      return u.prevSeq == lastSeq_ ? Verdict::Apply : Verdict::Gap;
    case SyncRule::Bybit:
      if (!u.hasSeq || !hasLastSeq_) return Verdict::Apply;
      return u.seq == lastSeq_ + 1 ? Verdict::Apply : Verdict::Gap;
    case SyncRule::Okx:
      // prevSeqId must be the seqId of the message applied before; keep-alives
      // (prevSeqId == seqId) and maintenance resets (seqId < prevSeqId) pass.
      if (!u.hasPrevSeq || !hasLastSeq_) return Verdict::Apply;
      return u.prevSeq == lastSeq_ ? Verdict::Apply : Verdict::Gap;
    case SyncRule::Coinbase:
    case SyncRule::CoinbaseAdvanced:
    case SyncRule::Kraken:
      // No per-book sequence: delivery is promised (Coinbase; Advanced is
      // checked per connection) or integrity comes from the checksum (Kraken).
      return Verdict::Apply;
  }
  return Verdict::Apply;
}

// Inlined into onUpdate(): the common path, one stack frame for the whole update.
[[gnu::always_inline]] inline Verdict BookSync::applyDelta(const BookUpdate& u) {
  const Verdict seq = sequenceVerdict(u);
  if (seq == Verdict::Discard) return seq;
  if (seq == Verdict::Gap) {
    fail();
    return seq;
  }
  if (!applyLevels(u.levels, u.count)) {
    fail();
    return Verdict::BadLevel;
  }
  appliedSinceSnapshot_ = true;
  if (u.hasSeq) {
    hasLastSeq_ = true;
    lastSeq_ = u.seq;
  }
  return afterApply(u, seq);
}

Verdict BookSync::onUpdate(const BookUpdate& u) {
  if (state_ == BookState::Stale) state_ = beforeStale_;  // data flows again
  if (u.snapshot) return applySnapshot(u);
  if (!haveSnapshot_) {
    if (waitsForRestSnapshot()) {
      buffer(u);
      return Verdict::Buffered;
    }
    return Verdict::Discard;
  }
  return applyDelta(u);
}

[[gnu::noinline]] Verdict BookSync::applySnapshot(const BookUpdate& u) {
  if (book_.load(u.levels, u.count) != ApplyStatus::Ok) {
    fail();
    return Verdict::BadLevel;
  }
  if (depth_ != 0) book_.truncate(depth_);
  haveSnapshot_ = true;
  appliedSinceSnapshot_ = false;
  hasLastSeq_ = u.hasSeq;
  lastSeq_ = u.seq;
  state_ = BookState::Valid;
  const Verdict v = afterApply(u, Verdict::Snapshot);
  if (v == Verdict::Snapshot && waitsForRestSnapshot()) replayBuffered();
  return v;
}

[[gnu::noinline]] void BookSync::buffer(const BookUpdate& u) {
  if (pending_.size() >= kMaxPendingUpdates || pendingLevels_.size() + u.count > kMaxPendingLevels) {
    // Bounded memory: the oldest deltas are dropped (counted); the snapshot
    // that is coming will be newer than them, or the replay reports a gap.
    bufferedDropped_ += pending_.size();
    pending_.clear();
    pendingLevels_.clear();
  }
  pending_.push_back(
      Pending{u.seq, u.prevSeq, static_cast<uint32_t>(pendingLevels_.size()), u.count, u.hasSeq, u.hasPrevSeq});
  pendingLevels_.insert(pendingLevels_.end(), u.levels, u.levels + u.count);
}

[[gnu::noinline]] void BookSync::replayBuffered() {
  for (const Pending& p : pending_) {
    BookUpdate u;
    u.hasSeq = p.hasSeq;
    u.hasPrevSeq = p.hasPrevSeq;
    u.seq = p.seq;
    u.prevSeq = p.prevSeq;
    u.levels = pendingLevels_.data() + p.offset;
    u.count = p.count;
    const Verdict v = applyDelta(u);
    if (v != Verdict::Apply && v != Verdict::ApplyFirst && v != Verdict::Discard) break;
  }
  pending_.clear();
  pendingLevels_.clear();
}

}  // namespace tickwire::book
