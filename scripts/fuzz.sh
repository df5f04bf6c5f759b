#!/usr/bin/env bash
# make fuzz: builds the libFuzzer targets of tests/fuzz with clang and runs each for
# FUZZ_SECONDS (default 60) from a copy of its seed corpus, with its dictionary. Fails on any
# crash, leak, timeout (10 s per input) or broken invariant; the input that broke it is left in
# BUILD/fuzz-artifacts/ (copy it into tests/fuzz/corpus/<target>/ to keep it as a regression).
set -euo pipefail
build=${1:-build-fuzz}
seconds=${2:-60}
src=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -f "$build/CMakeCache.txt" ]; then
  CC=clang CXX=clang++ cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DHEAT_FUZZ=ON -DHEAT_WERROR=OFF >/dev/null
fi
cmake --build "$build" -j "${JOBS:-2}" --target heat_fuzz_all
mkdir -p "$build/fuzz-artifacts"
failed=()
for t in einsum arch model npy safetensors json shape options program scalesim plan checkpoint; do
  work="$build/fuzz-corpus/$t"
  mkdir -p "$work"
  echo "fuzz: $t for ${seconds}s" >&2
  if ! ASAN_OPTIONS=detect_leaks=1 "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" \
      -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -close_fd_mask=1 \
      -dict="$src/tests/fuzz/dict/$t.dict" -artifact_prefix="$build/fuzz-artifacts/$t-" \
      "$work" "$src/tests/fuzz/corpus/$t" 2>"$build/fuzz-$t.log"; then
    failed+=("$t")
    tail -40 "$build/fuzz-$t.log" >&2
  fi
  grep -E "^stat::number_of_executed_units|^#[0-9]+ *DONE" "$build/fuzz-$t.log" | tr '\n' ' ' >&2
  echo >&2
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $build/fuzz-artifacts/)" >&2
  exit 1
fi
echo "fuzz: every target ran ${seconds}s without a crash, leak, timeout or broken invariant" >&2
