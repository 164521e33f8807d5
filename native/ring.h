// tickwire SPSC ring over shared memory. The byte layout is specified in
// docs/ring.md; this header and src/engine/ring.ts are two implementations of
// that one document and must stay byte-compatible.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace tickwire::ring {

inline constexpr uint32_t kMagic = 0x52575754;  // "TWWR" little-endian
inline constexpr uint32_t kVersion = 1;
inline constexpr uint32_t kHeaderBytes = 256;
inline constexpr uint32_t kRecordHeaderBytes = 24;
inline constexpr uint32_t kAlign = 8;
inline constexpr uint32_t kMinCapacity = 256;
inline constexpr uint32_t kMaxCapacity = 1u << 30;
inline constexpr uint16_t kPaddingType = 0;

// Control-block offsets (bytes from the start of the shared buffer).
inline constexpr size_t kOffMagic = 0;
inline constexpr size_t kOffVersion = 4;
inline constexpr size_t kOffCapacity = 8;
inline constexpr size_t kOffMaxRecord = 12;
inline constexpr size_t kOffHead = 64;      // writer's cache line
inline constexpr size_t kOffDropped = 72;   // u64, writer-owned
inline constexpr size_t kOffTail = 128;     // reader's cache line
inline constexpr size_t kOffCorrupt = 132;  // u32, reader-owned

// Record-header offsets (bytes from the start of a record).
inline constexpr size_t kRecLength = 0;
inline constexpr size_t kRecType = 4;
inline constexpr size_t kRecVenue = 6;
inline constexpr size_t kRecAux = 8;
inline constexpr size_t kRecFlags = 12;
inline constexpr size_t kRecRecvNs = 16;

constexpr uint32_t alignUp(uint32_t n) { return (n + (kAlign - 1)) & ~(kAlign - 1); }
constexpr uint32_t recordBytes(uint32_t payload) { return alignUp(kRecordHeaderBytes + payload); }
constexpr bool isPowerOfTwo(uint32_t n) { return n != 0 && (n & (n - 1)) == 0; }

// The largest payload a ring of `capacity` accepts. A record may need a
// padding record in front of it at the wrap point; capping a record at half the
// data area guarantees that padding + record fit once the reader catches up.
constexpr uint32_t maxPayload(uint32_t capacity) { return capacity / 2 - kRecordHeaderBytes; }

// The layout is little-endian; record headers are written as whole words.
static_assert(std::endian::native == std::endian::little, "the ring layout is little-endian");

template <typename T>
inline T loadPlain(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename T>
inline void storePlain(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

// The counters are plain u32 words in shared memory, also touched by JS
// Atomics, so they are accessed through atomic_ref rather than owned atomics.
inline std::atomic_ref<uint32_t> counter(uint8_t* base, size_t off) {
  return std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(base + off));
}

// Writes the control block of a fresh ring. `bytes` must be kHeaderBytes + capacity.
inline bool initialize(uint8_t* base, size_t bytes) {
  if (bytes < kHeaderBytes + kMinCapacity) return false;
  const size_t cap = bytes - kHeaderBytes;
  if (cap > kMaxCapacity || !isPowerOfTwo(static_cast<uint32_t>(cap))) return false;
  std::memset(base, 0, kHeaderBytes);
  storePlain<uint32_t>(base + kOffMagic, kMagic);
  storePlain<uint32_t>(base + kOffVersion, kVersion);
  storePlain<uint32_t>(base + kOffCapacity, static_cast<uint32_t>(cap));
  storePlain<uint32_t>(base + kOffMaxRecord, maxPayload(static_cast<uint32_t>(cap)));
  return true;
}

// Checks that `base` holds a ring this code understands and returns its data
// capacity, or 0. Everything the writer and reader later trust comes from here.
inline uint32_t validate(const uint8_t* base, size_t bytes) {
  if (bytes < kHeaderBytes + kMinCapacity) return 0;
  if (loadPlain<uint32_t>(base + kOffMagic) != kMagic) return 0;
  if (loadPlain<uint32_t>(base + kOffVersion) != kVersion) return 0;
  const uint32_t cap = loadPlain<uint32_t>(base + kOffCapacity);
  if (!isPowerOfTwo(cap) || cap < kMinCapacity || cap > kMaxCapacity) return 0;
  if (static_cast<size_t>(cap) + kHeaderBytes != bytes) return 0;
  return cap;
}

struct RecordMeta {
  uint16_t type = 0;
  uint16_t venue = 0;
  uint32_t aux = 0;
  uint32_t flags = 0;
  uint64_t recvNs = 0;
};

// A record header at `rec` as three 8-byte stores rather than six of 2 to 8
// bytes (the fields pack exactly into {length, type, venue}, {aux, flags},
// recvNs in little-endian order).
inline void storeHeader(uint8_t* rec, uint32_t length, const RecordMeta& meta) {
  storePlain<uint64_t>(rec + kRecLength, length | uint64_t{meta.type} << 32 | uint64_t{meta.venue} << 48);
  storePlain<uint64_t>(rec + kRecAux, meta.aux | uint64_t{meta.flags} << 32);
  storePlain<uint64_t>(rec + kRecRecvNs, meta.recvNs);
}
static_assert(kRecType == kRecLength + 4 && kRecVenue == kRecType + 2 && kRecAux == 8 && kRecFlags == kRecAux + 4 &&
              kRecRecvNs == 16);

struct RecordView {
  uint16_t type;
  uint16_t venue;
  uint32_t aux;
  uint32_t flags;
  uint64_t recvNs;
  const uint8_t* payload;
  uint32_t length;
};

// Single producer. Positions are free-running u32 byte counters; because the
// capacity is a power of two no larger than 2^30, `pos & mask` stays correct
// across the 2^32 wrap and `head - tail` is the used byte count.
class Writer {
 public:
  Writer() = default;
  Writer(uint8_t* base, uint32_t capacity)
      : base_(base),
        data_(base + kHeaderBytes),
        capacity_(capacity),
        mask_(capacity - 1),
        maxPayload_(maxPayload(capacity)) {
    // Relaxed: the writer owns head; nobody else stores it.
    head_ = counter(base_, kOffHead).load(std::memory_order_relaxed);
    // The reader's progress, not 0: a writer attached to a ring already in use
    // would otherwise see free space that is still unread data.
    cachedTail_ = counter(base_, kOffTail).load(std::memory_order_acquire);
  }

  bool valid() const { return base_ != nullptr; }
  uint32_t maxPayloadBytes() const { return maxPayload_; }

  // Reserves room for a record of `payload` bytes and returns where its payload
  // goes, or nullptr when the ring is full or the payload is larger than the
  // ring accepts. Nothing is visible to the reader until publish() (or
  // commitLocal() + flush()). Callers that give up on a full ring call
  // countDrop(); callers that apply backpressure retry later instead.
  uint8_t* reserve(uint32_t payload, const RecordMeta& meta) {
    if (payload > maxPayload_) return nullptr;
    const uint32_t need = recordBytes(payload);
    uint32_t offset;
    if (!claim(need, false, offset)) return nullptr;
    pending_ = need;
    storeHeader(data_ + offset, payload, meta);
    return data_ + offset + kRecordHeaderBytes;
  }

  // reserve() and commitLocal() in one, for a producer that always fills what
  // it asks for: the record is staged at once (visible at the next flush(),
  // abandoned by rollback()); its payload must be written before flush().
  // Not to be used between a reserve() and its commitLocal(). The writer's
  // own fields are updated before any record byte is stored, so filling the
  // payload through the returned pointer (which may alias anything, as far
  // as the compiler knows) does not make them be reloaded.
  [[gnu::always_inline]] uint8_t* append(uint32_t payload, const RecordMeta& meta) {
    if (payload > maxPayload_) return nullptr;
    return appendFitting(payload, meta);
  }
  // append() for a caller that knows `payload` <= maxPayloadBytes().
  [[gnu::always_inline]] uint8_t* appendFitting(uint32_t payload, const RecordMeta& meta) {
    uint32_t offset;
    if (!claim(recordBytes(payload), true, offset)) return nullptr;
    uint8_t* rec = data_ + offset;
    storeHeader(rec, payload, meta);
    return rec + kRecordHeaderBytes;
  }

  // Makes every reserved record visible. Release: the record bytes written
  // before this store are visible to a reader that acquires the new head.
  void publish() {
    head_ += pending_;
    pending_ = 0;
    counter(base_, kOffHead).store(head_, std::memory_order_release);
  }

  // Batched form: advance past the reservation without making it visible yet;
  // one publish() then exposes the whole batch.
  void commitLocal() {
    head_ += pending_;
    pending_ = 0;
  }
  void flush() { counter(base_, kOffHead).store(head_, std::memory_order_release); }

  // Unpublished records since the last flush can be abandoned as a group, so a
  // producer that emits several records per input can make them all-or-nothing.
  uint32_t mark() const { return head_; }
  void rollback(uint32_t markedHead) {
    head_ = markedHead;
    pending_ = 0;
  }

  // Visits the records staged in [from, to) — two mark()s taken earlier, not
  // yet released to the reader — so later stages can read what an earlier
  // stage of the same producer wrote without copying it.
  template <typename Fn>
  void forEachStaged(uint32_t from, uint32_t to, Fn&& fn) const {
    uint32_t pos = from;
    while (pos != to) {
      const uint32_t offset = pos & mask_;
      const uint8_t* rec = data_ + offset;
      const uint16_t type = loadPlain<uint16_t>(rec + kRecType);
      if (type == kPaddingType) {
        pos += capacity_ - offset;
        continue;
      }
      const uint32_t length = loadPlain<uint32_t>(rec + kRecLength);
      const RecordView view{type,
                            loadPlain<uint16_t>(rec + kRecVenue),
                            loadPlain<uint32_t>(rec + kRecAux),
                            loadPlain<uint32_t>(rec + kRecFlags),
                            loadPlain<uint64_t>(rec + kRecRecvNs),
                            rec + kRecordHeaderBytes,
                            length};
      fn(view);
      pos += recordBytes(length);
    }
  }

  // Copies one record in and publishes it; a full ring counts a drop.
  bool write(const RecordMeta& meta, const void* payload, uint32_t len) {
    uint8_t* dst = reserve(len, meta);
    if (dst == nullptr) {
      if (len <= maxPayload_) countDrop();
      return false;
    }
    if (len != 0) std::memcpy(dst, payload, len);
    publish();
    return true;
  }

  uint32_t freeBytes() {
    cachedTail_ = counter(base_, kOffTail).load(std::memory_order_acquire);
    return free();
  }

  void countDrop() {
    // Only the writer stores the drop counter; readers may sample it at any time.
    auto* p = reinterpret_cast<uint64_t*>(base_ + kOffDropped);
    std::atomic_ref<uint64_t>(*p).fetch_add(1, std::memory_order_relaxed);
  }

 private:
  uint32_t free() const { return capacity_ - (head_ - cachedTail_); }

  // Finds room for a record of `need` bytes (recordBytes of a payload no
  // larger than maxPayload_) and sets `offset` to where it goes; false, with
  // nothing changed, when the ring is full. head_ moves past the padding
  // written in front of it at the wrap point, and past the record itself too
  // when `stage`.
  [[gnu::always_inline]] bool claim(uint32_t need, bool stage, uint32_t& offset) {
    const uint32_t head = head_;
    offset = head & mask_;
    const uint32_t toEnd = capacity_ - offset;
    const uint32_t padding = toEnd < need ? toEnd : 0;
    if (free() < padding + need) {
      // Re-read the reader's progress only when the cached view says full.
      // Acquire: pairs with the reader's release of tail, so the bytes it
      // finished reading are no longer in use when we overwrite them.
      cachedTail_ = counter(base_, kOffTail).load(std::memory_order_acquire);
      if (free() < padding + need) return false;
    }
    head_ = head + padding + (stage ? need : 0);
    if (padding != 0) [[unlikely]] {
      // A padding record's length field holds its whole size (to the end of
      // the data area) so the reader can check it instead of trusting it.
      storePlain<uint32_t>(data_ + offset + kRecLength, padding);
      storePlain<uint16_t>(data_ + offset + kRecType, kPaddingType);
      offset = 0;
    }
    return true;
  }

  uint8_t* base_ = nullptr;
  uint8_t* data_ = nullptr;
  uint32_t capacity_ = 0;
  uint32_t mask_ = 0;
  uint32_t maxPayload_ = 0;
  uint32_t head_ = 0;
  uint32_t cachedTail_ = 0;
  uint32_t pending_ = 0;
};

// Single consumer. Every length read from shared memory is checked before it
// is followed: a corrupt or hostile writer makes the reader stop and raise the
// corrupt flag, never read outside the data area.
class Reader {
 public:
  Reader() = default;
  Reader(uint8_t* base, uint32_t capacity)
      : base_(base),
        data_(base + kHeaderBytes),
        capacity_(capacity),
        mask_(capacity - 1),
        maxPayload_(maxPayload(capacity)) {
    tail_ = counter(base_, kOffTail).load(std::memory_order_relaxed);
    cachedHead_ = tail_;
    limit_ = tail_;
  }

  bool valid() const { return base_ != nullptr; }
  bool corrupt() const { return corrupt_; }

  // Returns the next record, or false when none is available (or the ring is
  // corrupt). The record's bytes stay valid until release().
  //
  // limit_ ends the stretch of records readable without another look at head
  // and before the wrap: tail_ + min(available, toEnd) as of the last
  // refill(). tail_ advances within that stretch by checked sizes, so
  // min(available, toEnd) stays limit_ - tail_ for every record up to it, and
  // one compare per record does the bounds checks of docs/ring.md step 3.
  bool next(RecordView& out) {
    for (;;) {
      if (tail_ == limit_ && !refill()) [[unlikely]] {
        return false;
      }
      const uint32_t offset = tail_ & mask_;
      // The header's first 8 bytes lie inside the data area whatever the
      // record says (offsets are 8-aligned); they are only trusted once the
      // checks below pass.
      const uint8_t* rec = data_ + offset;
      const uint16_t type = loadPlain<uint16_t>(rec + kRecType);
      const uint32_t length = loadPlain<uint32_t>(rec + kRecLength);
      if (type == kPaddingType) [[unlikely]] {
        const uint32_t available = cachedHead_ - tail_;
        const uint32_t toEnd = capacity_ - offset;
        if (available < kAlign || toEnd > available || length != toEnd) return fail();
        tail_ += toEnd;  // == limit_: the next round refills
        continue;
      }
      // The rest of step 3 (8 <= available, toEnd >= 24, length <=
      // maxPayload, size <= min(toEnd, available)) in two tests: once length
      // <= maxPayload, size >= 24, so size <= min(toEnd, available) implies
      // toEnd >= 24 and available >= 8. The size of a too-long length may
      // wrap, but then the length test fails anyway.
      const uint32_t size = recordBytes(length);
      if ((length > maxPayload_) | (size > limit_ - tail_)) return fail();
      out.type = type;
      out.venue = loadPlain<uint16_t>(rec + kRecVenue);
      out.aux = loadPlain<uint32_t>(rec + kRecAux);
      out.flags = loadPlain<uint32_t>(rec + kRecFlags);
      out.recvNs = loadPlain<uint64_t>(rec + kRecRecvNs);
      out.payload = rec + kRecordHeaderBytes;
      out.length = length;
      tail_ += size;
      return true;
    }
  }

  // Hands every record returned so far back to the writer. Release: our reads
  // of those bytes happen before the writer may reuse them.
  void release() { counter(base_, kOffTail).store(tail_, std::memory_order_release); }

  // Lets a consumer that cannot handle a record yet (its own output is full)
  // put it back: records after position() are read again by the next next().
  uint32_t position() const { return tail_; }
  // The next next() loads head again and refills from `position`.
  void rewind(uint32_t position) {
    tail_ = position;
    cachedHead_ = position;
    limit_ = position;
  }

  // Leaves cachedHead_ alone: only refill() loads it, with its check.
  uint32_t pendingBytes() const { return counter(base_, kOffHead).load(std::memory_order_acquire) - tail_; }

 private:
  // At limit_: the next stretch of records, from a new look at head if all
  // known ones are read (false: none, or the ring is corrupt), or past the
  // wrap. Invariant: cachedHead_ - tail_ <= capacity_ (step 3's available <=
  // C), checked here when head is loaded; tail_ only advances by checked
  // sizes, so no record needs the test.
  bool refill() {
    if (corrupt_) return false;
    if (cachedHead_ == tail_) {
      // Acquire: pairs with the writer's release of head, so the record
      // bytes it published are visible before we read them.
      const uint32_t head = counter(base_, kOffHead).load(std::memory_order_acquire);
      if (head == tail_) return false;
      if (head - tail_ > capacity_) return fail();
      cachedHead_ = head;
    }
    const uint32_t available = cachedHead_ - tail_;
    const uint32_t toEnd = capacity_ - (tail_ & mask_);
    limit_ = tail_ + (toEnd < available ? toEnd : available);
    return true;
  }

  bool fail() {
    corrupt_ = true;
    limit_ = tail_;  // next() returns at once, from refill()
    counter(base_, kOffCorrupt).store(1, std::memory_order_relaxed);
    return false;
  }

  uint8_t* base_ = nullptr;
  uint8_t* data_ = nullptr;
  uint32_t capacity_ = 0;
  uint32_t mask_ = 0;
  uint32_t maxPayload_ = 0;
  uint32_t tail_ = 0;
  uint32_t cachedHead_ = 0;
  uint32_t limit_ = 0;
  bool corrupt_ = false;
};

}  // namespace tickwire::ring
