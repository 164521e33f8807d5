#!/usr/bin/env bash
# Builds and runs the standalone native tests (no Node involved) with ctest.
# TICKWIRE_SANITIZE=1 (`npm run test:asan`) builds them into build-asan/ with
# AddressSanitizer + UndefinedBehaviorSanitizer instead (every target, UB
# fatal), and adds short engine_bench runs; any report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build-native
flags=(-DTICKWIRE_NATIVE_TESTS=ON)
if [[ "${TICKWIRE_SANITIZE:-0}" == 1 ]]; then
  dir=build-asan
  flags+=(-DTICKWIRE_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo)
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
fi
cmake -S . -B "$dir" -G Ninja "${flags[@]}" >/dev/null
cmake --build "$dir" --parallel 2
ctest --test-dir "$dir" --output-on-failure
