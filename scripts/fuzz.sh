#!/usr/bin/env bash
# Builds the libFuzzer targets (native/fuzz, clang with
# -fsanitize=fuzzer,address,undefined) into build-fuzz/ and runs each for a
# bounded time. Before fuzzing, a target replays its committed regression
# inputs (native/fuzz/regressions/<target>/). Any crash, leak, UB or timeout
# fails the run (exit 1) and prints the input that caused it.
#
# Usage: scripts/fuzz.sh [--seconds N] [target ...]   (npm run fuzz -- …)
# Targets: binance binance-futures coinbase coinbase-advanced kraken bybit okx book ring
# Seeds come from the venue fixtures (TICKWIRE_FIXTURES, default
# /work/shared/fixtures/venues); the corpus grows in build-fuzz/corpus/.
set -euo pipefail
cd "$(dirname "$0")/.."

all=(binance binance-futures coinbase coinbase-advanced kraken bybit okx book ring)
venues=(binance binance-futures coinbase coinbase-advanced kraken bybit okx)
seconds=60
targets=()
while (($#)); do
  case "$1" in
    --seconds)
      seconds="${2:?--seconds needs a value}"
      shift 2
      ;;
    --seconds=*)
      seconds="${1#*=}"
      shift
      ;;
    -h | --help)
      sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      if [[ " ${all[*]} " != *" $1 "* ]]; then
        echo "fuzz: unknown target '$1' (targets: ${all[*]})" >&2
        exit 2
      fi
      targets+=("$1")
      shift
      ;;
  esac
done
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
  echo "fuzz: --seconds must be a whole number" >&2
  exit 2
fi
((${#targets[@]})) || targets=("${all[@]}")

cxx="${TICKWIRE_FUZZ_CXX:-clang++}"
if ! command -v "$cxx" >/dev/null; then
  echo "fuzz: $cxx is missing (Debian packages clang and libclang-rt-<version>-dev)" >&2
  exit 1
fi
runtime="$("$cxx" -print-file-name=libclang_rt.fuzzer-x86_64.a)"
if [[ ! -f "$runtime" ]]; then
  version="$("$cxx" -dumpversion)"
  echo "fuzz: the libFuzzer runtime is missing (Debian package libclang-rt-${version%%.*}-dev)" >&2
  exit 1
fi

dir=build-fuzz
cmake -S . -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTICKWIRE_FUZZ=ON -DTICKWIRE_WERROR=OFF \
  -DTICKWIRE_NATIVE_TESTS=OFF >/dev/null
nice cmake --build "$dir" --parallel 2 --target "${targets[@]/#/fuzz_}"

fixtures="${TICKWIRE_FIXTURES:-/work/shared/fixtures/venues}"
seed_targets=()
for t in "${targets[@]}"; do
  [[ " ${venues[*]} " == *" $t "* ]] && seed_targets+=("$t")
done
if ((${#seed_targets[@]})); then
  node native/fuzz/seeds.mjs "$fixtures" "$dir/seeds" "${seed_targets[@]}"
fi

# UB aborts (-fno-sanitize-recover); leaks are reported when each input ends.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=()
for t in "${targets[@]}"; do
  bin="$dir/fuzz_$t"
  regressions="native/fuzz/regressions/$t"
  corpus="$dir/corpus/$t"
  artifacts="$dir/artifacts/$t"
  log="$dir/logs/$t.log"
  mkdir -p "$corpus" "$artifacts" "$dir/logs"
  opts=(-timeout=10 -rss_limit_mb=2560 -print_final_stats=1 "-artifact_prefix=$artifacts/")
  dirs=("$corpus")
  if [[ " ${venues[*]} " == *" $t "* ]]; then
    opts+=(-max_len=65536 -dict=native/fuzz/json.dict)
    dirs+=("$dir/seeds/$t")
  else
    opts+=(-max_len=4096)
  fi

  # 1. The committed regression inputs, each run once.
  shopt -s nullglob
  inputs=("$regressions"/*)
  shopt -u nullglob
  if ((${#inputs[@]})); then
    if ! nice "$bin" "${opts[@]}" "${inputs[@]}" >"$log" 2>&1; then
      tail -n 60 "$log" >&2
      echo "fuzz: $t: a regression input fails again (see $log)" >&2
      failed+=("$t (regression)")
      continue
    fi
  fi

  # 2. Fuzzing for the time given.
  printf 'fuzz: %s for %ss (%d regression inputs)\n' "$t" "$seconds" "${#inputs[@]}"
  if nice "$bin" "${opts[@]}" -max_total_time="$seconds" "${dirs[@]}" >"$log" 2>&1; then
    grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$log" | tail -n 2 | sed "s/^/fuzz: $t: /" || true
  else
    tail -n 80 "$log" >&2
    crash="$(grep -oE 'Test unit written to [^ ]+' "$log" | tail -n 1 | sed 's/Test unit written to //')" || true
    echo "fuzz: $t FAILED; crash input: ${crash:-(none written, see $log)}" >&2
    echo "fuzz: reproduce with: $bin ${crash:-<input>}" >&2
    failed+=("$t${crash:+: $crash}")
  fi
done

if ((${#failed[@]})); then
  printf 'fuzz: FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} target(s) clean"
