// The JS face of the engine: argument checks and errors here, work in
// EngineCore. Loaded only through src/engine/native.ts.
#include <napi.h>

#include <memory>
#include <string>
#include <vector>

#include "engine_core.h"

namespace tickwire {
namespace {

struct RingArg {
  uint8_t* base;
  uint32_t capacity;
};

// Rings arrive as Uint8Array views spanning a whole SharedArrayBuffer (N-API
// on Node 20 has no SharedArrayBuffer accessor, but typed arrays over one work).
RingArg ringArg(const Napi::Env& env, const Napi::Value& value, const char* name) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(env, std::string(name) + " must be a Uint8Array over a ring's SharedArrayBuffer");
  }
  auto view = value.As<Napi::Uint8Array>();
  auto* base = view.Data();
  const uint32_t capacity = ring::validate(base, view.ByteLength());
  if (capacity == 0) {
    throw Napi::TypeError::New(env, std::string(name) +
                                        " does not hold a valid tickwire ring (bad magic, version or size; "
                                        "create it with createRingBuffer)");
  }
  return {base, capacity};
}

// The signal parameters, in the shape of SignalConfig in src/reference/signals
// (all times in µs); absent fields keep their defaults.
void readSignalConfig(const Napi::Env& env, const Napi::Object& o, signals::SignalConfig& c) {
  auto integer = [&](const char* key, int64_t min, int64_t& out) {
    if (!o.Has(key) || o.Get(key).IsUndefined()) return;
    const double v = o.Get(key).ToNumber().DoubleValue();
    if (!(v >= static_cast<double>(min) && v <= 9.0e15)) {
      throw Napi::RangeError::New(env,
                                  std::string("signalConfig.") + key + " must be a number >= " + std::to_string(min));
    }
    out = static_cast<int64_t>(v);
  };
  auto list = [&](const char* key, std::vector<int64_t>& out) {
    if (!o.Has(key) || o.Get(key).IsUndefined()) return;
    if (!o.Get(key).IsArray())
      throw Napi::TypeError::New(env, std::string("signalConfig.") + key + " must be an array");
    auto a = o.Get(key).As<Napi::Array>();
    if (a.Length() > 8)
      throw Napi::RangeError::New(env, std::string("signalConfig.") + key + " takes at most 8 values");
    out.clear();
    for (uint32_t i = 0; i < a.Length(); ++i) {
      const double v = a.Get(i).ToNumber().DoubleValue();
      if (!(v > 0 && v <= 9.0e15)) {
        throw Napi::RangeError::New(env, std::string("signalConfig.") + key + " values must be positive µs");
      }
      out.push_back(static_cast<int64_t>(v));
    }
  };
  int64_t depth = c.depthLevels;
  integer("depthLevels", 1, depth);
  if (depth > 1000) throw Napi::RangeError::New(env, "signalConfig.depthLevels must be at most 1000");
  c.depthLevels = static_cast<uint32_t>(depth);
  list("tradeWindowsUs", c.tradeWindowsUs);
  list("emaHalfLivesUs", c.emaHalfLivesUs);
  list("barIntervalsUs", c.barIntervalsUs);
  integer("ofiWindowUs", 1, c.ofiWindowUs);
  integer("latenessUs", 0, c.latenessUs);
  integer("idleTimeoutUs", 0, c.idleTimeoutUs);
  integer("reviseHorizonUs", 0, c.reviseHorizonUs);
  integer("quoteStaleUs", 0, c.quoteStaleUs);
  if (o.Has("latePolicy") && !o.Get("latePolicy").IsUndefined()) {
    const std::string policy = o.Get("latePolicy").ToString().Utf8Value();
    if (policy == "drop") {
      c.latePolicy = signals::LatePolicy::Drop;
    } else if (policy == "revise") {
      c.latePolicy = signals::LatePolicy::Revise;
    } else {
      throw Napi::TypeError::New(env, "signalConfig.latePolicy must be 'drop' or 'revise'");
    }
  }
}

class Engine : public Napi::ObjectWrap<Engine> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Engine",
                       {
                           InstanceMethod<&Engine::Poll>("poll"),
                           InstanceMethod<&Engine::Start>("start"),
                           InstanceMethod<&Engine::Stop>("stop"),
                           InstanceMethod<&Engine::Stats>("stats"),
                           InstanceMethod<&Engine::Close>("close"),
                       });
  }

  explicit Engine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Engine>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2) throw Napi::TypeError::New(env, "Engine(input, output, options?) needs two rings");
    const RingArg input = ringArg(env, info[0], "input");
    const RingArg output = ringArg(env, info[1], "output");
    if (input.base == output.base) throw Napi::TypeError::New(env, "input and output must be different rings");

    EngineConfig config;
    if (info.Length() > 2 && info[2].IsObject()) {
      auto options = info[2].As<Napi::Object>();
      if (options.Has("pipeline")) {
        const std::string pipeline = options.Get("pipeline").ToString().Utf8Value();
        if (pipeline == "echo") {
          config.pipeline = Pipeline::Echo;
        } else if (pipeline == "normalize") {
          config.pipeline = Pipeline::Normalize;
        } else {
          throw Napi::TypeError::New(env, "unknown pipeline '" + pipeline + "' (known: echo, normalize)");
        }
      }
      if (options.Has("batchRecords")) {
        const double batch = options.Get("batchRecords").ToNumber().DoubleValue();
        if (!(batch >= 1 && batch <= 1 << 20)) {
          throw Napi::RangeError::New(env, "batchRecords must be between 1 and 1048576");
        }
        config.batchRecords = static_cast<uint32_t>(batch);
      }
      if (options.Has("maxFrameBytes") && !options.Get("maxFrameBytes").IsUndefined()) {
        const double maxFrame = options.Get("maxFrameBytes").ToNumber().DoubleValue();
        if (!(maxFrame >= 1 && maxFrame <= 4294967295.0)) {
          throw Napi::RangeError::New(env, "maxFrameBytes must be between 1 and 4294967295");
        }
        config.maxFrameBytes = static_cast<uint32_t>(maxFrame);
      }
      if (options.Has("books") && !options.Get("books").IsUndefined()) {
        config.books = options.Get("books").ToBoolean().Value();
      }
      if (options.Has("signals") && !options.Get("signals").IsUndefined()) {
        config.signals = options.Get("signals").ToBoolean().Value();
      }
      if (options.Has("signalConfig") && options.Get("signalConfig").IsObject()) {
        readSignalConfig(env, options.Get("signalConfig").As<Napi::Object>(), config.signal);
      }
      if (options.Has("bookVerdicts") && !options.Get("bookVerdicts").IsUndefined()) {
        config.book.emitVerdicts = options.Get("bookVerdicts").ToBoolean().Value();
      }
      if (options.Has("krakenDepth") && !options.Get("krakenDepth").IsUndefined()) {
        const double depth = options.Get("krakenDepth").ToNumber().DoubleValue();
        if (!(depth >= 1 && depth <= 1000)) throw Napi::RangeError::New(env, "krakenDepth must be between 1 and 1000");
        config.book.krakenDepth = static_cast<uint32_t>(depth);
      }
      if (options.Has("staleAfterMs") && !options.Get("staleAfterMs").IsUndefined()) {
        const double ms = options.Get("staleAfterMs").ToNumber().DoubleValue();
        if (!(ms >= 0 && ms <= 86'400'000))
          throw Napi::RangeError::New(env, "staleAfterMs must be between 0 and 86400000");
        config.book.staleAfterUs = static_cast<int64_t>(ms * 1000);
      }
    }
    // The engine reads and writes these buffers, possibly from its own thread:
    // hold them until close() so the GC cannot free them underneath.
    inputRef_ = Napi::Persistent(info[0].As<Napi::Object>());
    outputRef_ = Napi::Persistent(info[1].As<Napi::Object>());
    core_ = std::make_unique<EngineCore>(input.base, input.capacity, output.base, output.capacity, config);
  }

  ~Engine() override {
    // A forgotten close() must not leave a thread touching freed memory.
    if (core_) core_->stopThread();
  }

 private:
  EngineCore& live(const Napi::Env& env) {
    if (!core_) throw Napi::Error::New(env, "engine is closed");
    return *core_;
  }

  Napi::Value Poll(const Napi::CallbackInfo& info) {
    EngineCore& core = live(info.Env());
    if (core.threadRunning()) {
      throw Napi::Error::New(info.Env(), "engine is running in thread mode: poll() is for inline mode");
    }
    uint64_t max = 0;
    if (info.Length() > 0 && info[0].IsNumber()) {
      const double requested = info[0].As<Napi::Number>().DoubleValue();
      if (requested > 0) max = static_cast<uint64_t>(requested);
    }
    return Napi::Number::New(info.Env(), static_cast<double>(core.drain(max)));
  }

  void Start(const Napi::CallbackInfo& info) { live(info.Env()).startThread(); }

  void Stop(const Napi::CallbackInfo& info) { live(info.Env()).stopThread(); }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const EngineCore& core = live(env);
    const EngineCounters& c = core.counters();
    auto out = Napi::Object::New(env);
    auto put = [&](const char* name, const std::atomic<uint64_t>& v) {
      out.Set(name, Napi::Number::New(env, static_cast<double>(v.load(std::memory_order_relaxed))));
    };
    put("framesIn", c.framesIn);
    put("recordsOut", c.recordsOut);
    put("outputFull", c.outputFull);
    put("batches", c.batches);
    put("bookUpdates", c.bookUpdates);
    if (const book::BookManager* books = core.books(); books != nullptr && !core.threadRunning()) {
      out.Set("bookGaps", Napi::Number::New(env, static_cast<double>(books->gaps())));
      out.Set("bookChecksumFailures", Napi::Number::New(env, static_cast<double>(books->checksumFailures())));
      out.Set("bookResyncs", Napi::Number::New(env, static_cast<double>(books->resyncs())));
      out.Set("bookLostRecords", Napi::Number::New(env, static_cast<double>(books->lostRecords())));
    }
    if (const signals::SignalEngine* sig = core.signalEngine(); sig != nullptr && !core.threadRunning()) {
      const signals::SignalStats& st = sig->stats();
      out.Set("signalRecords", Napi::Number::New(env, static_cast<double>(st.records)));
      out.Set("signalLostRecords", Napi::Number::New(env, static_cast<double>(st.lostRecords)));
      out.Set("lateTrades", Napi::Number::New(env, static_cast<double>(st.lateTrades)));
      out.Set("lateDropped", Napi::Number::New(env, static_cast<double>(st.lateDropped)));
    }
    out.Set("inputCorrupt", Napi::Boolean::New(env, core.inputCorrupt()));
    out.Set("threadRunning", Napi::Boolean::New(env, core.threadRunning()));
    return out;
  }

  void Close(const Napi::CallbackInfo&) {
    if (!core_) return;
    core_->stopThread();
    core_.reset();
    inputRef_.Reset();
    outputRef_.Reset();
  }

  std::unique_ptr<EngineCore> core_;
  Napi::ObjectReference inputRef_;
  Napi::ObjectReference outputRef_;
};

// A Uint8Array over the bytes of `view` (a Uint8Array over a SharedArrayBuffer)
// through a plain, non-shared ArrayBuffer. V8 copies into shared memory with
// relaxed atomics, byte by byte unless source and destination are equally
// aligned mod 8 (a ws frame is a slice at any offset): a 1 KB frame then takes
// ~5x a memmove. Copies into this alias are memmoves. It holds a strong
// reference to `view`, so the shared memory outlives the alias.
Napi::Value PlainView(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(env, "plainView(view) takes a Uint8Array");
  }
  auto view = info[0].As<Napi::Uint8Array>();
  const size_t length = view.ByteLength();
  auto* keep = new Napi::ObjectReference(Napi::Persistent(view.As<Napi::Object>()));
  auto buffer = Napi::ArrayBuffer::New(
      env, view.Data(), length, [](Napi::Env, void*, Napi::ObjectReference* ref) { delete ref; }, keep);
  return Napi::Uint8Array::New(env, length, buffer, 0);
}

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports) {
    DefineAddon(
        exports,
        {
            InstanceValue("Engine", Engine::Define(env), napi_enumerable),
            InstanceValue("plainView", Napi::Function::New<PlainView>(env, "plainView"), napi_enumerable),
            InstanceValue("ringHeaderBytes", Napi::Number::New(env, ring::kHeaderBytes), napi_enumerable),
            InstanceValue("recordHeaderBytes", Napi::Number::New(env, ring::kRecordHeaderBytes), napi_enumerable),
        });
  }
};

}  // namespace
}  // namespace tickwire

using TickwireAddon = tickwire::Addon;
NODE_API_ADDON(TickwireAddon)
