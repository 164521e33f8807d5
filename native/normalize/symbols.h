// Canonical symbols (docs/events.md "Symbols") and the per-engine table that
// interns them, so output records carry a u32 symbol id instead of text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace tickwire::norm {

enum class SymbolRule : uint8_t {
  Joined,          // BTCUSDT -> BTC-USDT (quote-asset list; as-is when no quote matches)
  Bybit,           // as Joined; symbols with a dash (dated futures, options) stay as they are
  BybitPerp,       // as Bybit, plus -PERP when the quote list split it (market perp)
  BinanceFutures,  // BTCUSDT -> BTC-USDT-PERP, BTCUSDT_230331 -> BTC-USDT-230331, unsplittable as-is
  Dashed,          // BTC-USD stays (Coinbase), upper-cased
  Slashed,         // BTC/USD -> BTC-USD (Kraken v2; the first slash)
  Okx,             // BTC-USDT-SWAP -> BTC-USDT-PERP, others as-is
};

inline constexpr size_t kMaxSymbolBytes = 64;

// Writes the canonical form of `raw` into `out` (kMaxSymbolBytes bytes) and
// returns its length, or SIZE_MAX when it would not fit.
size_t canonicalSymbol(SymbolRule rule, std::string_view raw, char* out);

// Open-addressing table of at most kCapacity symbols, allocated once. Ids are
// dense (0, 1, 2 ...). Each entry remembers whether its `symbol` record has
// been written to the output ring, so it is announced exactly once (and again
// if the record that announced it was rolled back).
class SymbolTable {
 public:
  static constexpr uint32_t kCapacity = 16384;
  static constexpr uint32_t kNone = UINT32_MAX;

  SymbolTable();

  uint32_t find(std::string_view text) const;
  // Adds a symbol not yet in the table; kNone when full.
  uint32_t add(std::string_view text);
  std::string_view text(uint32_t id) const {
    return {names_.get() + static_cast<size_t>(id) * kMaxSymbolBytes, lengths_[id]};
  }
  bool announced(uint32_t id) const { return announced_[id] != 0; }
  void setAnnounced(uint32_t id, bool value) { announced_[id] = value ? 1 : 0; }
  uint32_t size() const { return size_; }
  void clear();

 private:
  static constexpr uint32_t kSlots = kCapacity * 2;  // power of two, load <= 0.5
  static uint32_t hash(std::string_view text);

  std::unique_ptr<char[]> names_;
  std::unique_ptr<uint8_t[]> lengths_;
  std::unique_ptr<uint8_t[]> announced_;
  std::unique_ptr<uint32_t[]> slots_;  // id + 1, 0 = empty
  uint32_t size_ = 0;
};

}  // namespace tickwire::norm
