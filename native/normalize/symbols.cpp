#include "symbols.h"

#include <cstring>

namespace tickwire::norm {
namespace {

// docs/events.md: the quote-asset list, longest suffix first.
constexpr std::string_view kQuotes[] = {"FDUSD", "USDT", "USDC", "BUSD", "TUSD", "USDE", "DAI", "BTC", "ETH",
                                        "BNB",   "EUR",  "TRY",  "BRL",  "GBP",  "AUD",  "JPY", "USD"};

char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

// Appends text to out at `len`; false when the result would not fit.
bool append(char* out, size_t& len, std::string_view text) {
  if (len + text.size() > kMaxSymbolBytes) return false;
  for (char c : text) out[len++] = upper(c);
  return true;
}

// The quote-asset list's split of a joined symbol: the length of the base,
// or 0 when no quote matches with a non-empty base.
size_t splitJoined(std::string_view raw) {
  for (std::string_view quote : kQuotes) {
    if (raw.size() <= quote.size()) continue;
    const std::string_view tail = raw.substr(raw.size() - quote.size());
    bool match = true;
    for (size_t i = 0; i < quote.size(); ++i) {
      if (upper(tail[i]) != quote[i]) {
        match = false;
        break;
      }
    }
    if (match) return raw.size() - quote.size();
  }
  return 0;
}

// BASE-QUOTE when split, else the text as-is; `split` tells which.
bool appendJoined(char* out, size_t& len, std::string_view raw, bool& split) {
  const size_t base = splitJoined(raw);
  split = base != 0;
  if (!split) return append(out, len, raw);
  return append(out, len, raw.substr(0, base)) && append(out, len, "-") && append(out, len, raw.substr(base));
}

}  // namespace

size_t canonicalSymbol(SymbolRule rule, std::string_view raw, char* out) {
  size_t len = 0;
  bool ok = true;
  bool split = false;
  switch (rule) {
    case SymbolRule::Joined:
      ok = appendJoined(out, len, raw, split);
      break;
    case SymbolRule::Bybit:
    case SymbolRule::BybitPerp:
      if (raw.find('-') != std::string_view::npos) {
        ok = append(out, len, raw);
      } else {
        ok = appendJoined(out, len, raw, split);
        if (ok && split && rule == SymbolRule::BybitPerp) ok = append(out, len, "-PERP");
      }
      break;
    case SymbolRule::BinanceFutures: {
      const size_t underscore = raw.find('_');
      const std::string_view core = underscore == std::string_view::npos ? raw : raw.substr(0, underscore);
      const size_t base = splitJoined(core);
      if (base == 0) {
        ok = append(out, len, raw);
      } else {
        ok = append(out, len, core.substr(0, base)) && append(out, len, "-") && append(out, len, core.substr(base)) &&
             (underscore == std::string_view::npos
                  ? append(out, len, "-PERP")
                  : append(out, len, "-") && append(out, len, raw.substr(underscore + 1)));
      }
      break;
    }
    case SymbolRule::Dashed:
      ok = append(out, len, raw);
      break;
    case SymbolRule::Slashed:
      ok = append(out, len, raw);
      for (size_t i = 0; ok && i < len; ++i) {
        if (out[i] == '/') {
          out[i] = '-';
          break;
        }
      }
      break;
    case SymbolRule::Okx: {
      constexpr std::string_view kSwap = "-SWAP";
      bool swap = raw.size() >= kSwap.size();
      for (size_t i = 0; swap && i < kSwap.size(); ++i) {
        swap = upper(raw[raw.size() - kSwap.size() + i]) == kSwap[i];
      }
      if (swap) {
        ok = append(out, len, raw.substr(0, raw.size() - kSwap.size())) && append(out, len, "-PERP");
      } else {
        ok = append(out, len, raw);
      }
      break;
    }
  }
  return ok ? len : SIZE_MAX;
}

SymbolTable::SymbolTable()
    : names_(new char[static_cast<size_t>(kCapacity) * kMaxSymbolBytes]),
      lengths_(new uint8_t[kCapacity]),
      announced_(new uint8_t[kCapacity]),
      slots_(new uint32_t[kSlots]) {
  clear();
}

void SymbolTable::clear() {
  std::memset(slots_.get(), 0, sizeof(uint32_t) * kSlots);
  std::memset(announced_.get(), 0, kCapacity);
  size_ = 0;
}

uint32_t SymbolTable::hash(std::string_view text) {
  uint32_t h = 2166136261u;  // FNV-1a
  for (char c : text) {
    h ^= static_cast<uint8_t>(c);
    h *= 16777619u;
  }
  return h;
}

uint32_t SymbolTable::find(std::string_view text) const {
  for (uint32_t slot = hash(text) & (kSlots - 1);; slot = (slot + 1) & (kSlots - 1)) {
    const uint32_t entry = slots_[slot];
    if (entry == 0) return kNone;
    if (this->text(entry - 1) == text) return entry - 1;
  }
}

uint32_t SymbolTable::add(std::string_view text) {
  if (size_ >= kCapacity || text.size() > kMaxSymbolBytes) return kNone;
  const uint32_t id = size_++;
  std::memcpy(names_.get() + static_cast<size_t>(id) * kMaxSymbolBytes, text.data(), text.size());
  lengths_[id] = static_cast<uint8_t>(text.size());
  announced_[id] = 0;
  uint32_t slot = hash(text) & (kSlots - 1);
  while (slots_[slot] != 0) slot = (slot + 1) & (kSlots - 1);
  slots_[slot] = id + 1;
  return id;
}

}  // namespace tickwire::norm
