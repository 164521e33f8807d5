#include "book/books.h"

#include <cstring>

namespace tickwire::book {

namespace {

SyncRule ruleFor(uint16_t venue) {
  switch (venue) {
    case 1:
      return SyncRule::BinanceSpot;
    case 2:
      return SyncRule::BinanceFutures;
    case 3:
      return SyncRule::Coinbase;
    case 4:
      return SyncRule::CoinbaseAdvanced;
    case 5:
      return SyncRule::Kraken;
    case 6:
      return SyncRule::Bybit;
    default:
      return SyncRule::Okx;
  }
}

records::BookReason reasonFor(Verdict v) {
  switch (v) {
    case Verdict::Gap:
      return records::BookReason::Gap;
    case Verdict::ChecksumMismatch:
      return records::BookReason::ChecksumMismatch;
    case Verdict::Crossed:
      return records::BookReason::Crossed;
    case Verdict::BadLevel:
      return records::BookReason::BadLevel;
    default:
      return records::BookReason::Snapshot;
  }
}

constexpr uint32_t kVenueSlots = 8;

}  // namespace

BookManager::Entry& BookManager::entry(uint16_t venue, uint32_t symbol) {
  const size_t key = static_cast<size_t>(symbol) * kVenueSlots + (venue & (kVenueSlots - 1));
  // A feed updates one instrument's book many times in a row.
  if (key == lastKey_) [[likely]] {
    return *lastEntry_;
  }
  Entry& e = key < slotOf_.size() && slotOf_[key] != 0 ? entries_[slotOf_[key] - 1] : add(venue, symbol);
  lastKey_ = key;
  lastEntry_ = &e;
  return e;
}

// Out of line: once per instrument, and its allocation would otherwise weigh
// on every update's stack frame.
[[gnu::noinline]] BookManager::Entry& BookManager::add(uint16_t venue, uint32_t symbol) {
  const size_t key = static_cast<size_t>(symbol) * kVenueSlots + (venue & (kVenueSlots - 1));
  if (key >= slotOf_.size()) slotOf_.resize(key + 1, 0);
  // First sight of this instrument's book: the only allocation it causes.
  const uint32_t depth = venue == 5 ? config_.krakenDepth : 0;
  entries_.push_back(Entry{std::make_unique<BookSync>(ruleFor(venue), depth), 0, venue, symbol});
  slotOf_[key] = static_cast<uint32_t>(entries_.size());
  return entries_.back();
}

const BookSync* BookManager::find(uint16_t venue, uint32_t symbol) const {
  const size_t key = static_cast<size_t>(symbol) * kVenueSlots + (venue & (kVenueSlots - 1));
  if (key >= slotOf_.size() || slotOf_[key] == 0) return nullptr;
  return entries_[slotOf_[key] - 1].sync.get();
}

void BookManager::write(ring::Writer& out, uint16_t type, uint16_t venue, uint32_t symbol, uint32_t flags,
                        const void* payload, uint32_t bytes, uint64_t recvNs) {
  uint8_t* dst = out.reserve(bytes, ring::RecordMeta{type, venue, symbol, flags, recvNs});
  if (dst == nullptr) {
    // The engine keeps kBookRecordsHeadroom free before each frame, so this is
    // a bug if it ever happens; count it rather than lose it silently.
    ++lostRecords_;
    return;
  }
  std::memcpy(dst, payload, bytes);
  out.commitLocal();
}

void BookManager::transition(Entry& e, BookState from, records::BookReason reason, int64_t ts, ring::Writer& out) {
  const BookState to = e.sync->state();
  if (to == from) return;
  records::BookStatusPayload p{};
  p.ts = ts;
  p.state = static_cast<uint8_t>(to);
  p.previous = static_cast<uint8_t>(from);
  p.reason = static_cast<uint8_t>(reason);
  write(out, records::kBookStatus, e.venue, e.symbol, static_cast<uint32_t>(to), &p, sizeof p,
        static_cast<uint64_t>(e.lastRecvUs) * 1000);
}

Verdict BookManager::apply(uint16_t venue, uint32_t symbol, int64_t ts, int64_t recvUs, const BookUpdate& update,
                           ring::Writer& out) {
  Entry& e = entry(venue, symbol);
  BookSync& sync = *e.sync;
  const BookState before = sync.state();
  e.lastRecvUs = recvUs;
  const Verdict v = sync.onUpdate(update);
  // Most updates are deltas applied (or skipped) with nothing to report: no
  // verdict records asked for, no transition, no resync. Every failure verdict
  // (and a snapshot) goes to report(), whatever the state did.
  if (!config_.emitVerdicts && static_cast<uint8_t>(v) < static_cast<uint8_t>(Verdict::Snapshot) &&
      sync.state() == before && !sync.resyncRequested()) [[likely]] {
    return v;
  }
  report(e, before, v, ts, recvUs, out);
  return v;
}

// Out of line, so the common path of apply() needs no room for the records.
[[gnu::noinline]] void BookManager::report(Entry& e, BookState before, Verdict v, int64_t ts, int64_t recvUs,
                                           ring::Writer& out) {
  const uint16_t venue = e.venue;
  const uint32_t symbol = e.symbol;
  const uint64_t recvNs = static_cast<uint64_t>(recvUs) * 1000;
  if (config_.emitVerdicts) {
    records::BookVerdictPayload p{};
    p.ts = ts;
    const L2Book& b = e.sync->book();
    uint32_t hasTop = 0;
    if (!b.bids().empty()) {
      p.bidPx = b.toPrice(b.bids().at(0).px);
      p.bidQty = b.toQty(b.bids().at(0).qty);
      hasTop |= 1;
    }
    if (!b.asks().empty()) {
      p.askPx = b.toPrice(b.asks().at(0).px);
      p.askQty = b.toQty(b.asks().at(0).qty);
      hasTop |= 2;
    }
    const uint32_t flags = static_cast<uint32_t>(v) | static_cast<uint32_t>(e.sync->state()) << 8 | hasTop << 16;
    write(out, records::kBookVerdict, venue, symbol, flags, &p, sizeof p, recvNs);
  }
  if (v == Verdict::Gap) ++gaps_;
  if (v == Verdict::ChecksumMismatch) ++checksumFailures_;
  const bool resumed = before == BookState::Stale && (v == Verdict::Apply || v == Verdict::ApplyFirst);
  transition(e, before, resumed ? records::BookReason::Resumed : reasonFor(v), ts, out);
  if (e.sync->takeResyncRequest()) {
    ++resyncs_;
    records::ResyncPayload p{};
    p.ts = ts;
    p.reason = static_cast<uint8_t>(reasonFor(v));
    write(out, records::kResync, venue, symbol, p.reason, &p, sizeof p, recvNs);
  }
}

void BookManager::checkStale(int64_t nowUs, ring::Writer& out) {
  if (config_.staleAfterUs <= 0) return;
  for (Entry& e : entries_) {
    const BookState before = e.sync->state();
    if (before != BookState::Valid || nowUs - e.lastRecvUs < config_.staleAfterUs) continue;
    e.sync->setStale(true);
    transition(e, before, records::BookReason::Stale, nowUs, out);
  }
}

}  // namespace tickwire::book
