#include "normalize/normalizer.h"

#include <simdjson.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <new>

#if defined(__AVX2__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "normalize/decimal.h"
#include "normalize/fields.h"
#include "venues/venues.h"

namespace tickwire::norm {
namespace {

constexpr size_t kInitialCapacity = 64 * 1024;
static_assert(static_cast<uint8_t>(SymbolRule::Okx) < 8, "one last-symbol slot per rule");
// The table is cleared between frames once this full, so a frame always has
// room for kMaxNewSymbolsPerFrame new symbols.
constexpr uint32_t kMaxNewSymbolsPerFrame = 4096;
constexpr uint32_t kResetAt = SymbolTable::kCapacity - kMaxNewSymbolsPerFrame;

VenueFn venueFunction(uint16_t venue) {
  switch (venue) {
    case kBinance:
    case kBinanceFutures:
      return venues::binance;
    case kCoinbase:
      return venues::coinbase;
    case kCoinbaseAdvanced:
      return venues::coinbaseAdvanced;
    case kKraken:
      return venues::kraken;
    case kBybit:
      return venues::bybit;
    case kOkx:
      return venues::okx;
    default:
      return nullptr;
  }
}

// ---- the validating JSON pass (json.h) ----
//
// Recursive descent over the frame copy, which is followed by at least
// kPadding NUL bytes: a NUL is never valid JSON text (outside strings it is no
// token, inside them an unescaped control character), so every loop stops at
// the padding without a bounds check, and a literal is compared 4-5 bytes at
// a time. Returns false for anything JSON.parse would reject, plus nesting
// deeper than kMaxDepth.

constexpr size_t kPadding = 64;

// Bytes that end the fast scan of a string: '"', '\\' and control characters.
constexpr auto kStringStop = [] {
  struct Table {
    bool v[256] = {};
  } t;
  for (int c = 0; c < 0x20; ++c) t.v[c] = true;
  t.v[static_cast<unsigned char>('"')] = true;
  t.v[static_cast<unsigned char>('\\')] = true;
  return t;
}();

inline bool isWs(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

inline int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Four hex digits at p -> 0..0xFFFF, or -1.
inline int32_t hex4(const char* p) {
  int32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    const int h = hexValue(p[i]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

inline char* putUtf8(char* d, uint32_t cp) {
  if (cp < 0x80) {
    *d++ = static_cast<char>(cp);
  } else if (cp < 0x800) {
    *d++ = static_cast<char>(0xC0 | (cp >> 6));
    *d++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *d++ = static_cast<char>(0xE0 | (cp >> 12));
    *d++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *d++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *d++ = static_cast<char>(0xF0 | (cp >> 18));
    *d++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *d++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *d++ = static_cast<char>(0x80 | (cp & 0x3F));
  }
  return d;
}

constexpr uint32_t kFull = UINT32_MAX;

class JsonParser {
 public:
  JsonParser(char* text, Tape& tape) : p_(text), tape_(tape) {}

  bool document(const char* end) {
    skipWs();
    if (!value(nullptr, 0, 0)) return false;
    skipWs();
    return p_ == end;
  }

 private:
  void skipWs() {
    if (static_cast<unsigned char>(*p_) > ' ') return;
    while (isWs(*p_)) ++p_;
  }

  // push, string and number: always inlined, as GCC does without LTO (with it, its
  // whole-program limits left them out of line: +20% instructions on the general path).
  [[gnu::always_inline]] uint32_t push(JType type, const char* key, uint32_t keyLen, const char* text, uint32_t len) {
    if (next_ == tape_.size() && !tape_.grow()) {
      outOfMemory_ = true;
      return kFull;
    }
    JNode& node = tape_.nodes[next_];
    node.key = key;
    node.text = text;
    node.keyWord = 0;
    if (key != nullptr) {
      uint64_t w;
      std::memcpy(&w, key, 8);  // the frame copy is padded: 8 bytes are readable
      node.keyWord = keyLen >= 8 ? w : w & ((uint64_t{1} << (8 * keyLen)) - 1);
    }
    node.filter = 0;
    node.keyLen = keyLen;
    node.len = len;
    node.skip = 1;
    node.type = type;
    node.duplicateKeys = false;
    return next_++;
  }

  // p_ at the opening quote; on return past the closing one, out/len the
  // unescaped contents (in place).
  [[gnu::always_inline]] bool string(char*& out, uint32_t& len) {
    char* s = ++p_;
#if defined(__SSE2__)
    // 16 bytes at a time: the reads stay inside the padding, which stops the scan.
    for (;;) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_));
      const __m128i quote = _mm_cmpeq_epi8(x, _mm_set1_epi8('"'));
      const __m128i slash = _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'));
      const __m128i low = _mm_set1_epi8(0x1F);
      const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(x, low), low);
      const auto mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, slash), control)));
      if (mask != 0) {
        p_ += __builtin_ctz(mask);
        break;
      }
      p_ += 16;
    }
#else
    while (!kStringStop.v[static_cast<unsigned char>(*p_)]) ++p_;
#endif
    if (*p_ == '"') {
      out = s;
      len = static_cast<uint32_t>(p_ - s);
      ++p_;
      return true;
    }
    char* d = p_;  // unescape from here on, writing behind the reader
    for (;;) {
      const char c = *p_;
      if (c == '"') break;
      if (static_cast<unsigned char>(c) < 0x20) return false;  // control character, or the end
      if (c != '\\') {
        *d++ = c;
        ++p_;
        continue;
      }
      switch (p_[1]) {
        case '"':
          *d++ = '"';
          break;
        case '\\':
          *d++ = '\\';
          break;
        case '/':
          *d++ = '/';
          break;
        case 'b':
          *d++ = '\b';
          break;
        case 'f':
          *d++ = '\f';
          break;
        case 'n':
          *d++ = '\n';
          break;
        case 'r':
          *d++ = '\r';
          break;
        case 't':
          *d++ = '\t';
          break;
        case 'u': {
          int32_t cp = hex4(p_ + 2);
          if (cp < 0) return false;
          p_ += 6;
          if (cp >= 0xD800 && cp < 0xDC00) {
            // A high surrogate needs a low one; unpaired it becomes U+FFFD.
            const int32_t low = p_[0] == '\\' && p_[1] == 'u' ? hex4(p_ + 2) : -1;
            if (low >= 0xDC00 && low <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
              p_ += 6;
            } else {
              cp = 0xFFFD;
            }
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            cp = 0xFFFD;
          }
          d = putUtf8(d, static_cast<uint32_t>(cp));
          continue;
        }
        default:
          return false;
      }
      p_ += 2;
    }
    out = s;
    len = static_cast<uint32_t>(d - s);
    ++p_;
    return true;
  }

  bool digits() {
    if (!isDigit(*p_)) return false;
    while (isDigit(*p_)) ++p_;
    return true;
  }

  [[gnu::always_inline]] bool number(const char* key, uint32_t keyLen) {
    const char* s = p_;
    if (*p_ == '-') ++p_;
    if (*p_ == '0') {
      ++p_;
    } else if (!digits()) {
      return false;
    }
    if (*p_ == '.') {
      ++p_;
      if (!digits()) return false;
    }
    if (*p_ == 'e' || *p_ == 'E') {
      ++p_;
      if (*p_ == '+' || *p_ == '-') ++p_;
      if (!digits()) return false;
    }
    return push(JType::Number, key, keyLen, s, static_cast<uint32_t>(p_ - s)) != kFull;
  }

  bool literal(const char* word, size_t n, JType type, const char* key, uint32_t keyLen) {
    if (std::memcmp(p_, word, n) != 0) return false;
    if (push(type, key, keyLen, p_, static_cast<uint32_t>(n)) == kFull) return false;
    p_ += n;
    return true;
  }

  __attribute__((always_inline)) bool value(const char* key, uint32_t keyLen, size_t depth) {
    switch (*p_) {
      case '{':
        return object(key, keyLen, depth);
      case '[':
        return array(key, keyLen, depth);
      case '"': {
        char* text;
        uint32_t len;
        if (!string(text, len)) return false;
        return push(JType::String, key, keyLen, text, len) != kFull;
      }
      case 't':
        return literal("true", 4, JType::True, key, keyLen);
      case 'f':
        return literal("false", 5, JType::False, key, keyLen);
      case 'n':
        return literal("null", 4, JType::Null, key, keyLen);
      default:
        return number(key, keyLen);
    }
  }

  __attribute__((noinline)) bool object(const char* key, uint32_t keyLen, size_t depth) {
    if (depth >= kMaxDepth) return false;
    const uint32_t self = push(JType::Object, key, keyLen, nullptr, 0);
    if (self == kFull) return false;
    ++p_;
    skipWs();
    uint32_t count = 0;
    bool duplicates = false;
    uint64_t filter = 0;
    if (*p_ == '}') {
      ++p_;
    } else {
      for (;;) {
        if (*p_ != '"') return false;
        char* k;
        uint32_t kLen;
        if (!string(k, kLen)) return false;
        skipWs();
        if (*p_ != ':') return false;
        ++p_;
        skipWs();
        const uint32_t child = next_;
        if (!value(k, kLen, depth + 1)) return false;
        ++count;
        const uint64_t bit = uint64_t{1} << keyBit(tape_.nodes[child].keyWord, kLen);
        if ((filter & bit) != 0 && !duplicates) duplicates = repeatsKey(self, child);
        filter |= bit;
        skipWs();
        if (*p_ == ',') {
          ++p_;
          skipWs();
          continue;
        }
        if (*p_ != '}') return false;
        ++p_;
        break;
      }
    }
    JNode& node = tape_.nodes[self];
    node.len = count;
    node.skip = next_ - self;
    node.duplicateKeys = duplicates;
    node.filter = filter;
    return true;
  }

  // Whether the key of member `child` occurs among the earlier members of object `self`.
  bool repeatsKey(uint32_t self, uint32_t child) const {
    const JNode& c = tape_.nodes[child];
    const std::string_view k = c.keyText();
    for (uint32_t i = self + 1; i != child; i += tape_.nodes[i].skip) {
      if (tape_.nodes[i].keyIs(c.keyWord, k)) return true;
    }
    return false;
  }

  __attribute__((noinline)) bool array(const char* key, uint32_t keyLen, size_t depth) {
    if (depth >= kMaxDepth) return false;
    const uint32_t self = push(JType::Array, key, keyLen, nullptr, 0);
    if (self == kFull) return false;
    ++p_;
    skipWs();
    uint32_t count = 0;
    if (*p_ == ']') {
      ++p_;
    } else {
      for (;;) {
        if (!value(nullptr, 0, depth + 1)) return false;
        ++count;
        skipWs();
        if (*p_ == ',') {
          ++p_;
          skipWs();
          continue;
        }
        if (*p_ != ']') return false;
        ++p_;
        break;
      }
    }
    JNode& node = tape_.nodes[self];
    node.len = count;
    node.skip = next_ - self;
    return true;
  }

  char* p_;
  Tape& tape_;
  uint32_t next_ = 0;

 public:
  bool outOfMemory_ = false;  // the tape could not grow: the frame is oversized for this process
};

// UTF-8 validity: pure ASCII (the usual frame) is checked 32 or 8 bytes at a time.
bool validUtf8(const char* text, size_t length) {
  size_t i = 0;
  uint64_t high = 0;
#if defined(__AVX2__)
  const auto at = [](const char* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); };
  if (length - 32 <= 96) {
    // Most frames (32 to 128 bytes): the first and last 32 bytes, and for
    // more than 64 the 32 after the first and before the last (overlaps are
    // harmless), no loop.
    const char* last = text + length - 32;
    __m256i any = _mm256_or_si256(at(text), at(last));
    if (length > 64) any = _mm256_or_si256(any, _mm256_or_si256(at(text + 32), at(last - 32)));
    return _mm256_movemask_epi8(any) == 0 || simdjson::validate_utf8(text, length);
  }
  if (length > 128) {
    // 128 bytes a step, then the last 128 (overlapping bytes already seen).
    const auto block = [&](const char* p) {
      return _mm256_or_si256(_mm256_or_si256(at(p), at(p + 32)), _mm256_or_si256(at(p + 64), at(p + 96)));
    };
    const char* last = text + length - 128;
    __m256i any = block(last);
    for (const char* p = text; p < last; p += 128) any = _mm256_or_si256(any, block(p));
    return _mm256_movemask_epi8(any) == 0 || simdjson::validate_utf8(text, length);
  }
#endif
  for (; i + 8 <= length; i += 8) {
    uint64_t w;
    std::memcpy(&w, text + i, 8);
    high |= w;
  }
  for (; i < length; ++i) high |= static_cast<unsigned char>(text[i]);
  if ((high & 0x8080808080808080ull) == 0) return true;
  return simdjson::validate_utf8(text, length);
}

}  // namespace

Normalizer::Normalizer(uint32_t maxFrameBytes)
    : maxFrameBytes_(maxFrameBytes == 0 ? kDefaultMaxFrameBytes : maxFrameBytes),
      rawToId_(new uint32_t[SymbolTable::kCapacity]),
      frameAnnounced_(new uint32_t[kMaxNewSymbolsPerFrame]) {
  ensureScratch(kInitialCapacity);
  tape_.grow();
  growLevels();
  frameBooks_.reserve(64);
}

void Normalizer::clearSymbols() {
  symbols_.clear();
  rawSymbols_.clear();
  for (LastSymbol& l : last_) l.keyBytes = 0;
  resetSymbols_ = false;
}

bool Normalizer::ensureScratch(size_t bytes) {
  const size_t need = bytes + kPadding;
  if (need <= scratchBytes_) return true;
  size_t size = std::max(need, scratchBytes_ * 2);
  scratch_.reset(new (std::nothrow) char[size]);
  scratchBytes_ = scratch_ ? size : 0;
  return scratch_ != nullptr;
}

// Out of line: pushLevel() is inlined per level and must stay small.
__attribute__((noinline)) void Normalizer::growLevels() {
  levelRoom_ = levelRoom_ == 0 ? 8192 : 2 * levelRoom_;
  bids_.resize(2 * levelRoom_);
  asks_.resize(2 * levelRoom_);
  if (frameLevels_.size() < levelsStart_ + levelRoom_) frameLevels_.resize(levelsStart_ + levelRoom_);
}

bool Normalizer::process(const ring::RecordView& in, ring::Writer& out, uint32_t& recordsOut) {
  out_ = &out;
  mark_ = out.mark();
  // A frame's whole output must fit the ring at once, or it could never be written.
  frameRoom_ = out.maxPayloadBytes();
  written_ = 0;
  venue_ = in.venue;
  // Bit 0 is the market; higher bits (0x100 backfilled) say other things about the frame.
  market_ = in.flags & 1u;
  recvNs_ = in.recvNs;
  // frameAnnouncedCount_ is 0 here: only a frame being read has announcements to undo.
  frameBooks_.clear();
  levelsStart_ = 0;
  clearLevels();
  valueError_ = Verdict::Ok;
  if (resetSymbols_) [[unlikely]] {
    clearSymbols();
  }

  const Verdict verdict = run(in);
  if (verdict != Verdict::Ok) [[unlikely]] {
    rollbackFrame();
    if (verdict == Verdict::OutputFull || emitReject(verdict, in) == Verdict::OutputFull) {
      rollbackFrame();
      recordsOut = 0;
      return false;
    }
  }
  frameAnnouncedCount_ = 0;  // the frame stands: its announcements too
  recordsOut = written_;
  return true;
}

void Normalizer::rollbackFrame() {
  out_->rollback(mark_);
  if (frameAnnouncedCount_ != 0) clearFrameAnnounced();
  frameBooks_.clear();
  levelsStart_ = 0;
  frameRoom_ = out_->maxPayloadBytes();
  written_ = 0;
}

// The symbols the frame announced are not announced after all. A last_ entry
// must name an announced symbol (symbol() trusts it), so those naming one of
// them are forgotten too.
void Normalizer::clearFrameAnnounced() {
  for (uint32_t i = 0; i < frameAnnouncedCount_; ++i) {
    const uint32_t id = frameAnnounced_[i];
    symbols_.setAnnounced(id, false);
    for (LastSymbol& l : last_) {
      if (l.id == id) l.keyBytes = 0;
    }
  }
  frameAnnouncedCount_ = 0;
}

Verdict Normalizer::run(const ring::RecordView& in) {
  if (in.length > maxFrameBytes_) return Verdict::Oversized;
  const char* text = reinterpret_cast<const char*>(in.payload);
  const size_t length = in.length;
  if (!validUtf8(text, length)) return Verdict::InvalidUtf8;

  // The direct scan of a venue's hottest messages, when the frame is one it
  // reads; anything else (and any doubt) takes the general path below.
  Verdict scanned = Verdict::Ok;
  if (venue_ == kBinance || venue_ == kBinanceFutures) {
    if (venues::binanceScan(*this, text, length, scanned)) return scanned;
  } else if (venue_ == kBybit) {
    if (venues::bybitScan(*this, text, length, scanned)) return scanned;
  } else if (venue_ == kOkx) {
    // OKX answers the text `ping` with the text `pong`: not JSON.
    if (std::string_view(text, length) == "pong") return emitStatus(records::StatusKind::Pong);
    if (venues::okxScan(*this, text, length, scanned)) return scanned;
  } else if (venue_ == kCoinbase) {
    if (venues::coinbaseScan(*this, text, length, scanned)) return scanned;
  } else if (venue_ == kKraken) {
    if (venues::krakenScan(*this, text, length, scanned)) return scanned;
  }
  return runGeneral(text, length);
}

// Out of line: the JSON parser inlined here would leave no room, under the
// compiler's growth limits, for the venues' scans to be inlined into the
// engine's loop.
__attribute__((noinline)) Verdict Normalizer::runGeneral(const char* text, size_t length) {
  if (!ensureScratch(length)) return Verdict::Oversized;
  char* copy = scratch_.get();
  std::memcpy(copy, text, length);
  std::memset(copy + length, 0, kPadding);
  // One validating pass; JSON has no byte order mark (JSON.parse rejects
  // U+FEFF), and the parser takes none: 0xEF starts no value.
  JsonParser parser(copy, tape_);
  if (!parser.document(copy + length)) return parser.outOfMemory_ ? Verdict::Oversized : Verdict::MalformedJson;

  const VenueFn fn = venueFunction(venue_);
  if (fn == nullptr) return Verdict::UnknownMessage;
  TW_TRY(fn(*this, tape_.nodes.get()));
  return valueError_;
}

// symbol() when the rule's last lookup is not this instrument (or the frame has failed).
Verdict Normalizer::symbolSlow(SymbolRule rule, std::string_view raw, uint32_t& id) {
  id = 0;
  if (failed()) {
    // No output any more, but a symbol too long for a record (wrong_type)
    // still outranks the value error (docs/events.md).
    char text[kMaxSymbolBytes];
    return canonicalSymbol(rule, raw, text) == SIZE_MAX ? Verdict::WrongType : Verdict::Ok;
  }
  const size_t keyBytes = raw.size() + 1;
  // The usual case, the same instrument as this rule's last lookup: no cache key to build.
  LastSymbol& last = last_[static_cast<uint8_t>(rule) & 7];
  const bool same = keyBytes == last.keyBytes && sameSymbolText(last.key + 1, raw.data(), raw.size());
  if (same && symbols_.announced(last.id)) {
    id = last.id;
    return Verdict::Ok;
  }
  // The cache key: the rule (venue and market) then the raw text.
  char key[kMaxSymbolBytes];
  const bool cacheable = keyBytes <= kMaxSymbolBytes;
  uint32_t rawId = SymbolTable::kNone;
  id = SymbolTable::kNone;
  if (cacheable) {
    key[0] = static_cast<char>(rule);
    std::memcpy(key + 1, raw.data(), raw.size());
    if (same) {
      id = last.id;
    } else {
      rawId = rawSymbols_.find(std::string_view(key, keyBytes));
      if (rawId != SymbolTable::kNone) id = rawToId_[rawId];
    }
  }
  if (id == SymbolTable::kNone) {
    char text[kMaxSymbolBytes];
    const size_t length = canonicalSymbol(rule, raw, text);
    if (length == SIZE_MAX) return Verdict::WrongType;
    const std::string_view canonical(text, length);
    id = symbols_.find(canonical);
    if (id == SymbolTable::kNone) {
      if (frameAnnouncedCount_ >= kMaxNewSymbolsPerFrame) return Verdict::Oversized;
      id = symbols_.add(canonical);
      if (id == SymbolTable::kNone) return Verdict::Oversized;
      if (symbols_.size() > kResetAt) resetSymbols_ = true;
    }
    if (cacheable) {
      rawId = rawSymbols_.add(std::string_view(key, keyBytes));
      if (rawId != SymbolTable::kNone) rawToId_[rawId] = id;
      if (rawSymbols_.size() > kResetAt) resetSymbols_ = true;
    }
  }
  if (!symbols_.announced(id)) {
    if (frameAnnouncedCount_ >= kMaxNewSymbolsPerFrame) return Verdict::Oversized;
    const std::string_view canonical = symbols_.text(id);
    Verdict verdict;
    uint8_t* dst = append(records::kSymbol, id, 0, static_cast<uint32_t>(canonical.size()), verdict);
    if (dst == nullptr) return verdict;
    std::memcpy(dst, canonical.data(), canonical.size());
    symbols_.setAnnounced(id, true);
    frameAnnounced_[frameAnnouncedCount_++] = id;
  }
  // Remembered only once announced: symbol() takes a last_ entry as announced.
  if (cacheable) {
    std::memcpy(last.key, key, keyBytes);
    last.keyBytes = keyBytes;
    last.id = id;
  }
  return Verdict::Ok;
}

namespace {

// n levels of {px, qty} by 32-byte moves, the last one overlapping: for the
// few levels of a usual book update the library memcpy call cost more than
// the copy.
[[gnu::always_inline]] inline void copyLevels(uint8_t* dst, const double* src, size_t n) {
  const size_t bytes = n * records::kLevelBytes;
  const auto move = [&](size_t at, auto chunk) {
    std::memcpy(&chunk, reinterpret_cast<const uint8_t*>(src) + at, sizeof chunk);
    std::memcpy(dst + at, &chunk, sizeof chunk);
  };
  struct Chunk32 {
    unsigned char b[32];
  };
  struct Chunk16 {
    unsigned char b[16];
  };
  if (bytes > 256) {
    std::memcpy(dst, src, bytes);
  } else if (bytes >= 32) {
    for (size_t at = 0; at + 32 < bytes; at += 32) move(at, Chunk32{});
    move(bytes - 32, Chunk32{});
  } else if (bytes != 0) {
    move(0, Chunk16{});
  }
}

// Converts to what `build` returns: emplace_back(BuiltBy{…}) builds the
// element straight in the vector (a prvalue, no copy), where push_back of a
// temporary builds it on the stack and copies it.
template <typename F>
struct BuiltBy {
  F build;
  operator decltype(build())() const { return build(); }
};
template <typename F>
BuiltBy(F) -> BuiltBy<F>;

}  // namespace

Verdict Normalizer::emitBook(uint32_t symbol, int64_t ts, bool snapshot, const Opt<int64_t>& seq,
                             const Opt<int64_t>& prevSeq, const Opt<int64_t>& checksum) {
  if (failed()) return Verdict::Ok;
  const size_t bidCount = bidLevels_;
  const size_t askCount = askLevels_;
  const size_t bytes = sizeof(records::BookHeader) + (bidCount + askCount) * records::kLevelBytes;
  if (bytes > UINT32_MAX / 2) return Verdict::Oversized;
  uint32_t flags = snapshot ? records::kBookSnapshot : 0;
  if (seq.present) flags |= records::kBookHasSeq;
  if (prevSeq.present) flags |= records::kBookHasPrevSeq;
  if (checksum.present) flags |= records::kBookHasChecksum;
  Verdict verdict;
  uint8_t* dst = append(records::kBook, symbol, flags, static_cast<uint32_t>(bytes), verdict);
  if (dst == nullptr) return verdict;
  // Field by field: a header built on the stack first costs a copy.
  ring::storePlain(dst + offsetof(records::BookHeader, ts), ts);
  ring::storePlain(dst + offsetof(records::BookHeader, seq), seq.value);
  ring::storePlain(dst + offsetof(records::BookHeader, prevSeq), prevSeq.value);
  ring::storePlain(dst + offsetof(records::BookHeader, checksum), checksum.value);
  ring::storePlain(dst + offsetof(records::BookHeader, bidCount), static_cast<uint32_t>(bidCount));
  ring::storePlain(dst + offsetof(records::BookHeader, askCount), static_cast<uint32_t>(askCount));
  dst += sizeof(records::BookHeader);
  copyLevels(dst, bids_.data(), bidCount);
  copyLevels(dst + bidCount * records::kLevelBytes, asks_.data(), askCount);
  frameBooks_.emplace_back(BuiltBy{[&] {
    return PendingBook{symbol,
                       ts,
                       snapshot,
                       seq,
                       prevSeq,
                       checksum,
                       static_cast<uint32_t>(levelsStart_),
                       static_cast<uint32_t>(bidCount),
                       static_cast<uint32_t>(askCount)};
  }});
  // The levels are consumed: the next book of the frame starts from none.
  levelsStart_ += bidLevels_ + askLevels_;
  bidLevels_ = 0;
  askLevels_ = 0;
  // Room for a whole book after this one (pushLevel checks levelRoom_ only).
  if (frameLevels_.size() < levelsStart_ + levelRoom_) frameLevels_.resize(levelsStart_ + levelRoom_);
  return Verdict::Ok;
}

Verdict Normalizer::emitDerivative(uint32_t symbol, int64_t ts, const Opt<double>& mark, const Opt<double>& index,
                                   const Opt<double>& funding, const Opt<int64_t>& nextFundingTs) {
  if (failed()) return Verdict::Ok;
  uint32_t flags = 0;
  if (mark.present) flags |= records::kDerivMark;
  if (index.present) flags |= records::kDerivIndex;
  if (funding.present) flags |= records::kDerivFunding;
  if (nextFundingTs.present) flags |= records::kDerivNextFunding;
  const records::DerivativePayload p{ts, mark.value, index.value, funding.value, nextFundingTs.value};
  Verdict verdict;
  uint8_t* dst = append(records::kDerivative, symbol, flags, sizeof p, verdict);
  if (dst == nullptr) return verdict;
  std::memcpy(dst, &p, sizeof p);
  return Verdict::Ok;
}

Verdict Normalizer::emitStatus(records::StatusKind kind, std::string_view detail, bool hasDetail) {
  if (failed()) return Verdict::Ok;
  hasDetail = hasDetail || !detail.empty();
  const records::StatusHeader h{static_cast<uint32_t>(detail.size()), 0};
  if (detail.size() > UINT32_MAX / 2) return Verdict::Oversized;
  Verdict verdict;
  uint8_t* dst = append(records::kStatus, static_cast<uint32_t>(kind), hasDetail ? records::kStatusHasDetail : 0,
                        static_cast<uint32_t>(sizeof h + detail.size()), verdict);
  if (dst == nullptr) return verdict;
  std::memcpy(dst, &h, sizeof h);
  if (!detail.empty()) std::memcpy(dst + sizeof h, detail.data(), detail.size());
  return Verdict::Ok;
}

Verdict Normalizer::emitReject(Verdict reason, const ring::RecordView& in) {
  records::RejectPayload p{};
  const size_t sample = std::min<size_t>(in.length, records::kRejectSampleBytes);
  p.frameBytes = in.length;
  p.sampleLength = static_cast<uint32_t>(sample);
  if (sample != 0) std::memcpy(p.sample, in.payload, sample);
  // Not counted against frameRoom_: the frame's other output is rolled back.
  const ring::RecordMeta meta{records::kReject, venue_, static_cast<uint32_t>(reason), 0, recvNs_};
  uint8_t* dst = out_->append(sizeof p, meta);
  if (dst == nullptr) return Verdict::OutputFull;
  ++written_;
  std::memcpy(dst, &p, sizeof p);
  return Verdict::Ok;
}

}  // namespace tickwire::norm
