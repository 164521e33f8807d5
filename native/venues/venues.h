// The venue registry's entries: one function per venue file. Each reads the
// (already validated and parsed) document and emits canonical records through the
// Normalizer, following docs/events.md "Per venue".
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "normalize/normalizer.h"
#include "normalize/scan.h"

namespace tickwire::norm::venues {

Verdict binance(Normalizer& n, JVal doc);  // binance and binance-futures
Verdict coinbase(Normalizer& n, JVal doc);
Verdict coinbaseAdvanced(Normalizer& n, JVal doc);
Verdict kraken(Normalizer& n, JVal doc);
Verdict bybit(Normalizer& n, JVal doc);
Verdict okx(Normalizer& n, JVal doc);

// Direct scans of a venue's hottest messages from the frame text (see
// normalize/scan.h). True when the frame was handled (`verdict` is then the
// result); false leaves no trace and the frame takes the general path.
bool binanceScan(Normalizer& n, const char* text, size_t length, Verdict& verdict);  // both markets
bool bybitScan(Normalizer& n, const char* text, size_t length, Verdict& verdict);
bool coinbaseScan(Normalizer& n, const char* text, size_t length, Verdict& verdict);
bool okxScan(Normalizer& n, const char* text, size_t length, Verdict& verdict);

// scan::Cursor::lit as (overlapping) loads of 2, 4 or 8 bytes: for most
// literal lengths GCC calls the library memcmp, several times per frame.
template <size_t N>
[[gnu::always_inline]] inline bool scanLit(scan::Cursor& c, const char (&s)[N]) {
  constexpr size_t n = N - 1;
  static_assert(n >= 2 && n <= 32);
  using Word = std::conditional_t<n >= 8, uint64_t, std::conditional_t<n >= 4, uint32_t, uint16_t>>;
  constexpr size_t w = sizeof(Word);
  if (static_cast<size_t>(c.end - c.p) < n) return false;
  Word diff = 0;
  for (size_t i = 0; i < n; i += w) {
    const size_t at = i + w <= n ? i : n - w;
    Word have, want;
    std::memcpy(&have, c.p + at, w);
    std::memcpy(&want, s + at, w);
    diff |= have ^ want;
  }
  if (diff != 0) return false;
  c.p += n;
  return true;
}

// A frame whose root is not an object is valid JSON but no message we know.
inline Verdict rootObject(JVal doc, JVal& out) {
  if (doc->type != JType::Object) return Verdict::UnknownMessage;
  out = doc;
  return Verdict::Ok;
}

// The discriminator of a message (`e`, `type`, `channel` ...): absent or not a
// string means the message is not one we know.
inline bool discriminator(JVal o, std::string_view key, std::string_view& out) {
  const JVal v = member(o, key);
  if (v == nullptr || v->type != JType::String) return false;
  out = v->str();
  return true;
}

}  // namespace tickwire::norm::venues
