// Native benchmark of the engine core without Node: fills an input ring with
// frames, times EngineCore::drain over them, reports ns/frame.
//
// Usage: engine_bench <venue-code> <echo|normalize> <frame-file> [frames] [rounds] [options]
//        engine_bench - normalize <stream.tsv> [frames] [rounds] [options]
// A frame file holds one frame (pretty-printed JSON is fine). A .tsv stream
// (bench/native/gen-frames.ts writes the tinybench suites' streams) holds one
// frame per line as `venue<TAB>flags<TAB>frame`; lines starting with `!` are
// setup frames (a book snapshot), handled untimed before every round; each
// round then starts the other lines from the first (at most all of them).
// Options: --no-books, --no-signals (the stages after the normalizer; both on
// by default, as in the product).
// Used by bench/ suites and for profiling (perf record ./engine_bench …).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "engine_core.h"

#if defined(__linux__)
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

using namespace tickwire;

namespace {
struct Frame {
  uint16_t venue;
  uint32_t flags;
  std::string text;
};

// A hardware counter of this thread (instructions, cycles) around the timed
// drain: on a shared machine they vary far less than wall time. -1 when
// perf events are not available (then only time is reported).
class Counter {
 public:
  explicit Counter(uint64_t config) {
#if defined(__linux__)
    perf_event_attr attr{};
    attr.type = PERF_TYPE_HARDWARE;
    attr.size = sizeof attr;
    attr.config = config;
    attr.disabled = 1;
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    fd_ = static_cast<int>(syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
#else
    (void)config;
#endif
  }
  ~Counter() {
#if defined(__linux__)
    if (fd_ >= 0) close(fd_);
#endif
  }
  void start() {
#if defined(__linux__)
    if (fd_ < 0) return;
    ioctl(fd_, PERF_EVENT_IOC_RESET, 0);
    ioctl(fd_, PERF_EVENT_IOC_ENABLE, 0);
#endif
  }
  int64_t stop() {
#if defined(__linux__)
    if (fd_ < 0) return -1;
    ioctl(fd_, PERF_EVENT_IOC_DISABLE, 0);
    int64_t v = 0;
    if (read(fd_, &v, sizeof v) != sizeof v) return -1;
    return v;
#else
    return -1;
#endif
  }

 private:
  int fd_ = -1;
};
}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: %s <venue-code|-> <echo|normalize> <frame-file|stream.tsv> [frames] [rounds] [--no-books] "
                 "[--no-signals]\n",
                 argv[0]);
    return 2;
  }
  std::vector<const char*> positional;
  bool books = true, signals = true;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--no-books") == 0) {
      books = false;
    } else if (std::strcmp(argv[i], "--no-signals") == 0) {
      signals = false;
    } else {
      positional.push_back(argv[i]);
    }
  }
  const std::string pipeline = positional[1];
  const std::string path = positional[2];
  std::ifstream in(path, std::ios::binary);
  std::vector<Frame> setup, frames;
  if (path.size() > 4 && path.compare(path.size() - 4, 4, ".tsv") == 0) {
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      const bool isSetup = line[0] == '!';
      const size_t t1 = line.find('\t'), t2 = line.find('\t', t1 + 1);
      Frame f{static_cast<uint16_t>(std::atoi(line.c_str() + (isSetup ? 1 : 0))),
              static_cast<uint32_t>(std::atoi(line.c_str() + t1 + 1)), line.substr(t2 + 1)};
      (isSetup ? setup : frames).push_back(std::move(f));
    }
  } else {
    std::stringstream buf;
    buf << in.rdbuf();
    std::string frame = buf.str();
    while (!frame.empty() && (frame.back() == '\n' || frame.back() == '\r')) frame.pop_back();
    frames.push_back(Frame{static_cast<uint16_t>(std::atoi(positional[0])), 0, frame});
  }
  if (frames.empty()) {
    std::fprintf(stderr, "no frames in %s\n", path.c_str());
    return 2;
  }
  const uint32_t count = positional.size() > 3 ? static_cast<uint32_t>(std::atoi(positional[3])) : 50000;
  const int rounds = positional.size() > 4 ? std::atoi(positional[4]) : 9;

  // Rings small enough to be reused round after round (warm pages, warm caches),
  // large enough for one round of frames and their output.
  const uint32_t inCap = 1u << 26, outCap = 1u << 27;
  std::vector<uint8_t> input(ring::kHeaderBytes + inCap), output(ring::kHeaderBytes + outCap);
  ring::initialize(input.data(), input.size());
  ring::initialize(output.data(), output.size());
  EngineConfig config;
  config.pipeline = pipeline == "echo" ? Pipeline::Echo : Pipeline::Normalize;
  config.books = books;
  config.signals = signals;
  auto engine = std::make_unique<EngineCore>(input.data(), inCap, output.data(), outCap, config);
  ring::Writer writer(input.data(), inCap);
  ring::Reader reader(output.data(), outCap);
  uint64_t recvNs = 1'700'000'000'000'000'000ull;
  auto put = [&](const Frame& f) {
    recvNs += 1000;  // 1 µs apart: signals see time move as on a live feed
    return writer.write(ring::RecordMeta{1, f.venue, 0, f.flags, recvNs}, f.text.data(),
                        static_cast<uint32_t>(f.text.size()));
  };
  auto drainOutput = [&] {
    ring::RecordView v{};
    uint64_t n = 0;
    while (reader.next(v)) ++n;
    reader.release();
    return n;
  };
  // Setup frames (a book snapshot) go in before every round, untimed, so a
  // round that starts the stream over finds its book where the stream expects.
  auto runSetup = [&] {
    for (const Frame& f : setup) put(f);
    engine->drain(0);
    drainOutput();
  };
  runSetup();

  Counter instructions(PERF_COUNT_HW_INSTRUCTIONS), cycles(PERF_COUNT_HW_CPU_CYCLES);
  int64_t bestInstructions = INT64_MAX, bestCycles = INT64_MAX;
  double best = 1e30, sum = 0;
  uint64_t outRecords = 0;
  size_t next = 0;
  for (int r = 0; r < rounds; ++r) {
    if (!setup.empty() && r != 0) {
      // The stream starts over, in a fresh engine (on the old one event time
      // would run backwards: trades late, windows and bars upset), with its
      // book snapshot first.
      next = 0;
      engine.reset();
      engine = std::make_unique<EngineCore>(input.data(), inCap, output.data(), outCap, config);
      runSetup();
    }
    for (uint32_t i = 0; i < count; ++i) {
      if (!put(frames[next])) {
        std::fprintf(stderr, "input ring full\n");
        return 1;
      }
      next = (next + 1) % frames.size();
      if (next == 0 && !setup.empty() && i + 1 < count) {
        std::fprintf(stderr, "a stream with setup frames must not wrap within a round: use at most %zu frames\n",
                     frames.size());
        return 2;
      }
    }
    instructions.start();
    cycles.start();
    const auto t0 = std::chrono::steady_clock::now();
    const uint64_t handled = engine->drain(0);
    const auto t1 = std::chrono::steady_clock::now();
    const int64_t c = cycles.stop(), n = instructions.stop();
    if (c >= 0) bestCycles = std::min(bestCycles, c);
    if (n >= 0) bestInstructions = std::min(bestInstructions, n);
    if (handled != count) {
      std::fprintf(stderr, "handled %llu of %u frames\n", static_cast<unsigned long long>(handled), count);
      return 1;
    }
    outRecords = drainOutput();
    const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count() / count;
    best = std::min(best, ns);
    sum += ns;
  }
  std::printf("%s %s (books %s, signals %s): %.1f ns/frame best, %.1f mean (%d rounds of %u; %.2f records/frame)\n",
              pipeline.c_str(), path.c_str(), books ? "on" : "off", signals ? "on" : "off", best, sum / rounds, rounds,
              count, static_cast<double>(outRecords) / count);
  if (bestInstructions != INT64_MAX && bestCycles != INT64_MAX) {
    std::printf("  %.0f instructions/frame, %.0f cycles/frame (best round)\n",
                static_cast<double>(bestInstructions) / count, static_cast<double>(bestCycles) / count);
  }
  return 0;
}
