#!/usr/bin/env bash
# Builds and runs the standalone native tests (no Node involved) with ctest.
# TICKWIRE_SANITIZE=1 builds them with AddressSanitizer + UBSan instead.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build-native
flags=(-DTICKWIRE_NATIVE_TESTS=ON)
if [[ "${TICKWIRE_SANITIZE:-0}" == 1 ]]; then
  dir=build-asan
  flags+=(-DTICKWIRE_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo)
fi
cmake -S . -B "$dir" -G Ninja "${flags[@]}" >/dev/null
cmake --build "$dir" --parallel 2
ctest --test-dir "$dir" --output-on-failure
