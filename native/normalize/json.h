// The parsed form of one frame: a flat tape of nodes in document order,
// written by the normalizer's single validating pass (normalizer.cpp,
// parseJson) and read by the venue functions through fields.h.
//
// One pass over the text checks the whole document against RFC 8259 (string
// escapes and control characters, the number grammar, literals, nesting at
// most kMaxDepth, nothing after the root value) and records every value:
//   - strings are unescaped in place in the normalizer's copy of the frame
//     (an unescaped string is never longer than its escaped form), so a node
//     holds a view of its text; unpaired surrogate escapes become U+FFFD, as
//     simdjson's get_string(allow_replacement) did before;
//   - numbers keep their token text (exact decimal text for books);
//   - containers know their child count and subtree size, so a reader skips a
//     member in O(1) and looks up an object's keys by scanning its members.
// Duplicate keys: the last one wins, as with JSON.parse (the reference).
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>

namespace tickwire::norm {

enum class JType : uint8_t { Null, False, True, Number, String, Array, Object };

// The first (up to) 8 bytes of a key, little-endian, zero-padded: most keys
// compare in one step.
constexpr uint64_t keyWord(std::string_view k) {
  uint64_t w = 0;
  for (size_t i = 0; i < k.size() && i < 8; ++i) w |= static_cast<uint64_t>(static_cast<uint8_t>(k[i])) << (8 * i);
  return w;
}

// A key's bit (0..63) in its object's filter.
constexpr unsigned keyBit(uint64_t word, size_t length) {
  return static_cast<unsigned>(((word ^ length) * 0x9E3779B97F4A7C15ull) >> 58);
}

struct JNode {
  const char* key;   // object members: the unescaped key; else nullptr
  const char* text;  // string: unescaped contents; number: token text
  uint64_t keyWord;  // object members: keyWord(key)
  uint64_t filter;   // objects: the keyBit of every key, so most absent keys are told in one test
  uint32_t keyLen;
  uint32_t len;   // string/number: text length; array/object: number of children
  uint32_t skip;  // nodes in this subtree, this one included: the next sibling is this + skip
  JType type;
  bool duplicateKeys;  // objects: some key occurs twice (lookups then take the last)

  std::string_view str() const { return {text, len}; }
  std::string_view keyText() const { return {key, keyLen}; }
  const JNode* firstChild() const { return this + 1; }
  const JNode* next() const { return this + skip; }
  const JNode* end() const { return this + skip; }  // one past the last child
  bool keyIs(uint64_t word, std::string_view k) const {
    return keyWord == word && keyLen == k.size() &&
           (k.size() <= 8 || std::memcmp(key + 8, k.data() + 8, k.size() - 8) == 0);
  }
};

using JVal = const JNode*;

// The node buffer; grows (doubling, no exceptions) only when a frame needs
// more nodes than any before. A failed growth makes the parse fail.
struct Tape {
  std::unique_ptr<JNode[]> nodes;
  uint32_t capacity = 0;

  uint32_t size() const { return capacity; }
  bool grow() {
    const uint64_t want = capacity == 0 ? 4096 : uint64_t{capacity} * 2;
    if (want > UINT32_MAX / 2) return false;
    JNode* bigger = new (std::nothrow) JNode[want];
    if (bigger == nullptr) return false;
    if (capacity != 0) std::memcpy(static_cast<void*>(bigger), nodes.get(), sizeof(JNode) * capacity);
    nodes.reset(bigger);
    capacity = static_cast<uint32_t>(want);
    return true;
  }
};

// The member `key` of object `o` (the last one when repeated), or nullptr.
// Always inlined: the key is a literal at every call site, and its word then
// folds to a constant (out of line, as LTO left it, it is computed each call).
[[gnu::always_inline]] inline JVal member(JVal o, std::string_view key) {
  const uint64_t word = keyWord(key);
  if ((o->filter >> keyBit(word, key.size()) & 1) == 0) return nullptr;
  if (!o->duplicateKeys) {
    for (JVal c = o->firstChild(), e = o->end(); c != e; c = c->next()) {
      if (c->keyIs(word, key)) return c;
    }
    return nullptr;
  }
  JVal found = nullptr;
  for (JVal c = o->firstChild(), e = o->end(); c != e; c = c->next()) {
    if (c->keyIs(word, key)) found = c;
  }
  return found;
}

}  // namespace tickwire::norm
