// The normalizer: one raw venue frame in, canonical records out (see
// docs/events.md for the rules and docs/records.md for the records).
//
// Per frame: oversized -> invalid_utf8 -> malformed_json -> the venue's
// function, which reads fields and emits records. Output is all-or-nothing:
// the writer is marked before the frame and rolled back when the frame fails
// (leaving only its reject record) or the output ring is full (leaving
// nothing; the engine retries the frame later).
//
// How a frame is read (the fast path; the order of the checks above is the
// contract and is unchanged):
//   - UTF-8: an 8-bytes-at-a-time ASCII test, simdjson::validate_utf8 only for
//     frames with non-ASCII bytes; the whole frame is checked before any JSON.
//   - Direct scan: Binance trades, aggTrades and bookTickers, Bybit orderbook
//     and publicTrade, OKX trades and books, Coinbase match and l2update
//     messages in compact form (in the venue's own key order where it has
//     one) are read straight from the frame text in one pass
//     (normalize/scan.h) and emitted only if every field is valid; any
//     other frame, and any doubt, takes the general
//     path below from scratch, so the output is the general path's.
//   - JSON: one validating pass (parseJson in normalizer.cpp) over a padded
//     copy of the frame checks the whole document (RFC 8259, nesting at most
//     kMaxDepth) and records it as a flat tape (json.h) - strings unescaped in
//     place, numbers as their token text. There is no separate validation walk
//     and no re-scan of objects read out of document order: a lookup scans
//     one object's members on the tape. malformed_json is decided before the
//     venue function runs, so it still precedes every field check.
//   - Symbols: the last (rule, raw symbol) and a hash map of them remember the
//     interned id, so a symbol is canonicalised once, not on every frame.
//   - Decimals: an exact fast path, 8 digits at a time, before std::from_chars
//     (decimal.h); book levels get their fixed-point form in the same pass.
//
// Book events also keep their levels in fixed point for the book stage
// (frameBooks() / frameLevels()), parsed in the same pass as their doubles.
//
// Steady state allocates nothing: the padded scratch copy of the frame, the
// tape, the level buffers and the symbol tables only grow when a frame larger
// than any before arrives. No exceptions on this path.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "normalize/decimal.h"
#include "normalize/json.h"
#include "normalize/records.h"
#include "normalize/symbols.h"
#include "ring.h"

namespace tickwire::norm {

// What became of a frame (or of one step of it). The first nine values are
// the reject reasons in REJECT_REASONS order (src/events.ts).
enum class Verdict : uint8_t {
  Oversized = 0,
  InvalidUtf8,
  MalformedJson,
  UnknownMessage,
  MissingField,
  WrongType,
  BadNumber,
  NegativeValue,
  BadTimestamp,
  OutputFull = 0xfe,
  Ok = 0xff,
};

// Returns the verdict of `expr` unless it is Ok. The variable name is unique
// per expansion so that nested uses (a lambda inside the argument) do not shadow.
#define TW_TRY(expr) TW_TRY_IMPL(expr, TW_CONCAT(tw_v_, __COUNTER__))
#define TW_CONCAT(a, b) TW_CONCAT_IMPL(a, b)
#define TW_CONCAT_IMPL(a, b) a##b
#define TW_TRY_IMPL(expr, v)                          \
  do {                                                \
    const ::tickwire::norm::Verdict v = (expr);       \
    if (v != ::tickwire::norm::Verdict::Ok) return v; \
  } while (0)

inline constexpr uint32_t kDefaultMaxFrameBytes = 4u * 1024 * 1024;
inline constexpr size_t kMaxDepth = 64;

// Venue codes: index in VENUES (src/events.ts) + 1.
enum VenueCode : uint16_t {
  kBinance = 1,
  kBinanceFutures = 2,
  kCoinbase = 3,
  kCoinbaseAdvanced = 4,
  kKraken = 5,
  kBybit = 6,
  kOkx = 7,
};

template <typename T>
struct Opt {
  T value{};
  bool present = false;
  void set(T v) {
    value = v;
    present = true;
  }
};

class Normalizer;
using VenueFn = Verdict (*)(Normalizer& n, JVal root);

class Normalizer {
 public:
  explicit Normalizer(uint32_t maxFrameBytes = kDefaultMaxFrameBytes);
  Normalizer(const Normalizer&) = delete;
  Normalizer& operator=(const Normalizer&) = delete;

  // Normalizes one input record into `out` (records staged with
  // commitLocal(); the caller flushes). Returns false when the output ring
  // lacked room: nothing of this frame is left staged and it must be retried.
  // `recordsOut` receives the number of records staged.
  bool process(const ring::RecordView& in, ring::Writer& out, uint32_t& recordsOut);

  // ---- for the venue functions ----
  uint16_t venue() const { return venue_; }
  bool perp() const { return market_ == 1; }

  // Interns a symbol (canonicalised by `rule`), announcing it with a symbol
  // record the first time. WrongType when the symbol is longer than 64 bytes.
  // Inline: most frames name the same instrument as the rule's last lookup,
  // which is a length and text compare; the rest goes out of line. A last_
  // entry only ever names an announced symbol (see symbolSlow and
  // rollbackFrame), so no announced() check is needed here.
  [[gnu::always_inline]] Verdict symbol(SymbolRule rule, std::string_view raw, uint32_t& id) {
    const LastSymbol& last = last_[static_cast<uint8_t>(rule) & 7];
    if (!failed() && raw.size() + 1 == last.keyBytes && sameSymbolText(last.key + 1, raw.data(), raw.size())) {
      id = last.id;
      return Verdict::Ok;
    }
    return symbolSlow(rule, raw, id);
  }

  // The two hottest records are emitted inline, into the venues' scans: an
  // out-of-line call cost more than the work (argument shuffling, a stack
  // frame aligned for the vector copy, spills around the call).
  [[gnu::always_inline]] Verdict emitTrade(uint32_t symbol, int64_t ts, double price, double qty, bool sell,
                                           std::string_view id) {
    if (id.size() > records::kTradeIdBytes) return Verdict::WrongType;
    if (failed()) return Verdict::Ok;
    Verdict verdict;
    uint8_t* dst =
        append(records::kTrade, symbol, sell ? records::kTradeSell : 0, sizeof(records::TradePayload), verdict);
    if (dst == nullptr) return verdict;
    // Straight into the ring: the fixed fields, the id, zeros after it.
    ring::storePlain(dst + offsetof(records::TradePayload, ts), ts);
    ring::storePlain(dst + offsetof(records::TradePayload, price), price);
    ring::storePlain(dst + offsetof(records::TradePayload, qty), qty);
    // idLength and the reserved word after it.
    ring::storePlain<uint64_t>(dst + offsetof(records::TradePayload, idLength), id.size());
    static_assert(offsetof(records::TradePayload, reserved) == offsetof(records::TradePayload, idLength) + 4);
    uint8_t* idDst = dst + offsetof(records::TradePayload, id);
    // Word by word: a memset of the 64 bytes may become a `rep stos`.
    for (size_t i = 0; i < records::kTradeIdBytes; i += 8) ring::storePlain<uint64_t>(idDst + i, 0);
    if (!id.empty()) copyText(idDst, id.data(), id.size());  // an absent id is a null view
    return Verdict::Ok;
  }
  [[gnu::always_inline]] Verdict emitBbo(uint32_t symbol, int64_t ts, double bidPx, double bidQty, double askPx,
                                         double askQty) {
    if (failed()) return Verdict::Ok;
    Verdict verdict;
    uint8_t* dst = append(records::kBbo, symbol, 0, sizeof(records::BboPayload), verdict);
    if (dst == nullptr) return verdict;
    // Field by field: a copy of the whole struct may become a `rep movs`.
    ring::storePlain(dst + offsetof(records::BboPayload, ts), ts);
    ring::storePlain(dst + offsetof(records::BboPayload, bidPx), bidPx);
    ring::storePlain(dst + offsetof(records::BboPayload, bidQty), bidQty);
    ring::storePlain(dst + offsetof(records::BboPayload, askPx), askPx);
    ring::storePlain(dst + offsetof(records::BboPayload, askQty), askQty);
    return Verdict::Ok;
  }
  // Levels come from bids()/asks().
  Verdict emitBook(uint32_t symbol, int64_t ts, bool snapshot, const Opt<int64_t>& seq, const Opt<int64_t>& prevSeq,
                   const Opt<int64_t>& checksum);
  Verdict emitDerivative(uint32_t symbol, int64_t ts, const Opt<double>& mark, const Opt<double>& index,
                         const Opt<double>& funding, const Opt<int64_t>& nextFundingTs);
  // `hasDetail` distinguishes an empty detail text from none.
  Verdict emitStatus(records::StatusKind kind, std::string_view detail = {}, bool hasDetail = false);

  // Value errors (bad_number, negative_value, bad_timestamp) do not end the
  // frame: the first one is kept and reported once the frame is read, unless
  // a structural error (missing_field, wrong_type) turns up first. Once one is
  // noted nothing more is emitted.
  void noteValue(Verdict v) {
    if (v != Verdict::Ok && valueError_ == Verdict::Ok) valueError_ = v;
  }
  bool failed() const { return valueError_ != Verdict::Ok; }
  // Scratch for a trade id formatted from a JSON number (one per event).
  char* idBuffer() { return idBuffer_; }

  // Levels of the book being read, as {price, qty} doubles (for the record)
  // and in fixed point (for the book stage, straight into frameLevels() in
  // arrival order); emitBook writes them. Inlined into the venues' level
  // loops: one room check for all three arrays (no push_back capacity check
  // per level), their growth out of line.
  [[gnu::always_inline]] void pushLevel(bool bid, double px, double qty, const Fixed& pxFixed, const Fixed& qtyFixed) {
    const size_t levels = bidLevels_ + askLevels_;
    if (levels == levelRoom_) growLevels();
    double* const pair = bid ? &bids_[2 * bidLevels_++] : &asks_[2 * askLevels_++];
    pair[0] = px;
    pair[1] = qty;
    frameLevels_[levelsStart_ + levels] = BookLevel{bid, pxFixed, qtyFixed};
  }
  // As above from the decimal text exactly as the venue sent it (string
  // contents, or the JSON number token for Kraken), parsed here into fixed point.
  void pushLevel(bool bid, double px, double qty, std::string_view pxText, std::string_view qtyText) {
    Fixed pxFixed, qtyFixed;
    if (parseFixed(pxText, false, pxFixed) != NumStatus::Ok) pxFixed.exponent = INT8_MIN;
    if (parseFixed(qtyText, false, qtyFixed) != NumStatus::Ok) qtyFixed.exponent = INT8_MIN;
    pushLevel(bid, px, qty, pxFixed, qtyFixed);
  }
  // pushLevel for a scan's loop over one side's array: the three write
  // positions held in locals (registers). Through pushLevel they are reloaded
  // for every level, because a level's one-byte stores may alias any object.
  struct SideLevels {
    double* pair;      // the next {price, qty}
    BookLevel* fixed;  // the next fixed-point level
    size_t room;       // levels before growLevels() is needed
  };
  SideLevels openSide(bool bid) {
    const size_t levels = bidLevels_ + askLevels_;
    return {bid ? &bids_[2 * bidLevels_] : &asks_[2 * askLevels_], frameLevels_.data() + levelsStart_ + levels,
            levelRoom_ - levels};
  }
  // Counts a run's pushes; pushLevel may be used again after this.
  void closeSide(bool bid, const SideLevels& side) {
    (bid ? bidLevels_ : askLevels_) = levelRoom_ - side.room - (bid ? askLevels_ : bidLevels_);
  }
  [[gnu::always_inline]] static void pushLevel(SideLevels& side, bool bid, double px, double qty, const Fixed& pxFixed,
                                               const Fixed& qtyFixed) {
    side.pair[0] = px;
    side.pair[1] = qty;
    side.pair += 2;
    *side.fixed++ = BookLevel{bid, pxFixed, qtyFixed};
    --side.room;
  }

  // Forgets the levels pushed since the last emitBook (or the frame's start).
  void clearLevels() {
    bidLevels_ = 0;
    askLevels_ = 0;
  }

  // ---- for the book stage ----
  struct PendingBook {
    uint32_t symbol;
    int64_t ts;
    bool snapshot;
    Opt<int64_t> seq, prevSeq, checksum;
    uint32_t firstLevel, bidCount, askCount;
  };
  // The book events of the last frame, in order; empty unless it succeeded.
  const std::vector<PendingBook>& frameBooks() const { return frameBooks_; }
  // For each PendingBook: its bidCount + askCount levels from firstLevel, in
  // the order the venue sent them, in fixed point (a level with no exact
  // fixed-point form has exponent INT8_MIN).
  const BookLevel* frameLevels() const { return frameLevels_.data(); }

 private:
  Verdict run(const ring::RecordView& in);
  // The general path of run(): the JSON pass and the venue's function.
  Verdict runGeneral(const char* text, size_t length);
  Verdict emitReject(Verdict reason, const ring::RecordView& in);

  // Stages one record of the frame in the output ring and returns where its
  // payload goes (to be filled before the engine flushes), or nullptr with
  // `verdict` Oversized (the frame's output would not fit the ring at once,
  // so could never be written) or OutputFull (no room now). `payload` is at
  // most UINT32_MAX / 2. The members are read before the ring is written and
  // stored after from registers: a store through the returned pointer may
  // alias them as far as the compiler knows.
  [[gnu::always_inline]] uint8_t* append(uint16_t type, uint32_t aux, uint32_t flags, uint32_t payload,
                                         Verdict& verdict) {
    const uint32_t bytes = ring::recordBytes(payload);
    const uint32_t room = frameRoom_;
    const uint32_t written = written_;
    if (bytes > room) {
      verdict = Verdict::Oversized;
      return nullptr;
    }
    // bytes <= room <= the ring's maxPayload, so the payload fits the ring.
    uint8_t* dst = out_->appendFitting(payload, ring::RecordMeta{type, venue_, aux, flags, recvNs_});
    if (dst == nullptr) {
      verdict = Verdict::OutputFull;
      return nullptr;
    }
    frameRoom_ = room - bytes;
    written_ = written + 1;
    verdict = Verdict::Ok;
    return dst;
  }
  void rollbackFrame();
  void clearFrameAnnounced();
  bool ensureScratch(size_t bytes);
  void growLevels();
  void clearSymbols();
  Verdict symbolSlow(SymbolRule rule, std::string_view raw, uint32_t& id);
  // a[0, n) == b[0, n) for the n (1..64) bytes of a symbol: up to 16 bytes by
  // two overlapping loads instead of a call to the library memcmp.
  [[gnu::always_inline]] static bool sameSymbolText(const char* a, const char* b, size_t n) {
    const auto differ = [&](auto word) {
      constexpr size_t w = sizeof word;
      decltype(word) x, y, u, v;
      std::memcpy(&x, a, w);
      std::memcpy(&y, b, w);
      std::memcpy(&u, a + n - w, w);
      std::memcpy(&v, b + n - w, w);
      return ((x ^ y) | (u ^ v)) != 0;
    };
    if (n >= 8 && n <= 16) return !differ(uint64_t{});
    if (n >= 4 && n < 8) return !differ(uint32_t{});
    return std::memcmp(a, b, n) == 0;
  }
  // memcpy of a trade id (at most 64 bytes; mostly 4 to 16, a UUID is 36) by
  // two overlapping loads and stores of W bytes (W <= n <= 2W) instead of a
  // call to the library memcpy.
  template <size_t W>
  [[gnu::always_inline]] static void copyOverlapping(uint8_t* dst, const char* src, size_t n) {
    unsigned char head[W], tail[W];
    std::memcpy(head, src, W);
    std::memcpy(tail, src + n - W, W);
    std::memcpy(dst, head, W);
    std::memcpy(dst + n - W, tail, W);
  }
  [[gnu::always_inline]] static void copyText(uint8_t* dst, const char* src, size_t n) {
    if (n >= 8 && n <= 16) return copyOverlapping<8>(dst, src, n);
    if (n >= 4 && n < 8) return copyOverlapping<4>(dst, src, n);
    if (n > 16 && n <= 32) return copyOverlapping<16>(dst, src, n);
    if (n > 32 && n <= 64) return copyOverlapping<32>(dst, src, n);
    std::memcpy(dst, src, n);
  }

  uint32_t maxFrameBytes_;
  std::unique_ptr<char[]> scratch_;
  size_t scratchBytes_ = 0;
  Tape tape_;
  SymbolTable symbols_;
  // (rule, raw symbol) -> canonical id: rawSymbols_ interns "rule byte + raw"
  // and rawToId_ maps its ids to symbols_ ids; cleared with symbols_.
  SymbolTable rawSymbols_;
  std::unique_ptr<uint32_t[]> rawToId_;
  // The last symbol looked up per rule (a frame mix of venues alternates rules).
  struct LastSymbol {
    char key[kMaxSymbolBytes] = {};
    size_t keyBytes = 0;  // 0: none
    uint32_t id = 0;
  };
  LastSymbol last_[8];
  // Symbols first announced by the frame being read (un-announced if it is
  // rolled back): frameAnnouncedCount_ ids, room for kMaxNewSymbolsPerFrame.
  std::unique_ptr<uint32_t[]> frameAnnounced_;
  uint32_t frameAnnouncedCount_ = 0;
  // A symbol table is past its reset mark: cleared before the next frame.
  bool resetSymbols_ = false;
  // The {px, qty} doubles of the book being read: bidLevels_ (askLevels_)
  // pairs at the front of bids_ (asks_). Both are sized, not just reserved,
  // for levelRoom_ levels, so a level needs no check per side.
  std::vector<double> bids_, asks_;
  size_t bidLevels_ = 0, askLevels_ = 0, levelRoom_ = 0;
  std::vector<PendingBook> frameBooks_;
  // The frame's levels in fixed point: the books emitted so far, then the
  // bidLevels_ + askLevels_ of the book being read from levelsStart_. Sized,
  // like bids_ and asks_, for at least levelsStart_ + levelRoom_ levels, so
  // pushLevel's room check covers it too.
  std::vector<BookLevel> frameLevels_;
  size_t levelsStart_ = 0;  // frameLevels_ index of the first level of the book being read
  char idBuffer_[40] = {};
  Verdict valueError_ = Verdict::Ok;

  // Per-frame state.
  ring::Writer* out_ = nullptr;
  uint32_t mark_ = 0;
  // Output bytes the frame may still stage: it must fit the ring whole.
  uint32_t frameRoom_ = 0;
  uint32_t written_ = 0;
  uint16_t venue_ = 0;
  uint32_t market_ = 0;
  uint64_t recvNs_ = 0;
};

}  // namespace tickwire::norm
