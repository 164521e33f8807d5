// The venue registry's entries: one function per venue file. Each reads the
// (already validated and parsed) document and emits canonical records through the
// Normalizer, following docs/events.md "Per venue".
#pragma once

#include <cstdint>
#include <cstring>

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
bool krakenScan(Normalizer& n, const char* text, size_t length, Verdict& verdict);
bool okxScan(Normalizer& n, const char* text, size_t length, Verdict& verdict);

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
