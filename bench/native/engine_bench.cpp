// Native benchmark of the engine core without Node: fills an input ring with
// copies of one frame, times EngineCore::drain over them, reports ns/frame.
// Usage: engine_bench <venue-code> <pipeline: echo|normalize> <frame-file> [frames] [rounds]
// Used by bench/ suites and for profiling (perf record ./engine_bench …).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine_core.h"

using namespace tickwire;

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s <venue-code> <echo|normalize> <frame-file> [frames] [rounds]\n", argv[0]);
    return 2;
  }
  const auto venue = static_cast<uint16_t>(std::atoi(argv[1]));
  const std::string pipeline = argv[2];
  std::ifstream in(argv[3], std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  std::string frame = buf.str();
  while (!frame.empty() && (frame.back() == '\n' || frame.back() == '\r')) frame.pop_back();
  const uint32_t frames = argc > 4 ? static_cast<uint32_t>(std::atoi(argv[4])) : 50000;
  const int rounds = argc > 5 ? std::atoi(argv[5]) : 9;

  // Rings small enough to be reused round after round (warm pages, warm caches),
  // large enough for one round of frames and their output.
  const uint32_t inCap = 1u << 24, outCap = 1u << 25;
  std::vector<uint8_t> input(ring::kHeaderBytes + inCap), output(ring::kHeaderBytes + outCap);
  ring::initialize(input.data(), input.size());
  ring::initialize(output.data(), output.size());
  EngineConfig config;
  config.pipeline = pipeline == "echo" ? Pipeline::Echo : Pipeline::Normalize;
  EngineCore engine(input.data(), inCap, output.data(), outCap, config);
  ring::Writer writer(input.data(), inCap);
  ring::Reader reader(output.data(), outCap);

  double best = 1e30;
  for (int r = 0; r < rounds; ++r) {
    for (uint32_t i = 0; i < frames; ++i) {
      if (!writer.write(ring::RecordMeta{1, venue, 0, 0, 1'700'000'000'000'000'000ull}, frame.data(),
                        static_cast<uint32_t>(frame.size()))) {
        std::fprintf(stderr, "input ring full\n");
        return 1;
      }
    }
    const auto t0 = std::chrono::steady_clock::now();
    const uint64_t handled = engine.drain(0);
    const auto t1 = std::chrono::steady_clock::now();
    if (handled != frames) {
      std::fprintf(stderr, "handled %llu of %u frames\n", static_cast<unsigned long long>(handled), frames);
      return 1;
    }
    ring::RecordView v{};
    while (reader.next(v)) {
    }
    reader.release();
    best = std::min(best, std::chrono::duration<double, std::nano>(t1 - t0).count() / frames);
  }
  std::printf("%s venue=%u bytes=%zu: %.1f ns/frame (best of %d rounds of %u)\n", pipeline.c_str(), venue, frame.size(),
              best, rounds, frames);
  return 0;
}
