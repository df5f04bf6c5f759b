#!/bin/sh
# Checks that two heat binaries price the hardware-aware path identically: every bench_hwpath
# case on every preset (and the test archs that let any buffer hold any operand), under each
# objective, `heat map --path hw --csv` compared field by field except mappings_evaluated (the
# work a search does, which a speed-up is meant to change). A speed-up of the mapspace or the
# path search must leave chosen paths, mappings and totals unchanged.
# usage: bench/mapper/hwpath_same.sh HEAT_BEFORE HEAT_AFTER BENCH_HWPATH [OUTDIR]
# exit 0: identical; 1: a difference (printed); 2: bad usage.
set -u
if [ $# -lt 3 ]; then
  echo "usage: $0 HEAT_BEFORE HEAT_AFTER BENCH_HWPATH [OUTDIR]" >&2
  exit 2
fi
before=$1 after=$2 bench=$3
out=${4:-$(mktemp -d)}
mkdir -p "$out/before" "$out/after"
here=$(cd "$(dirname "$0")" && pwd)
tests=$here/../../tests/mapper
archs="simba-l tpu-32 edge-16 eyeriss-like cloud-128 $tests/tpu-any.cfg $tests/tiny-wbuf.cfg"
# Blanks the mappings_evaluated column (found by name in the header; quoted fields such as a
# step's "ab,bc->ac" hold commas).
strip() {
  awk 'function fields(line, f,    n, i, ch, q, cur) {
         n = 0; cur = ""; q = 0
         for (i = 1; i <= length(line); i++) {
           ch = substr(line, i, 1)
           if (ch == "\"") q = !q
           if (ch == "," && !q) { f[++n] = cur; cur = "" } else cur = cur ch
         }
         f[++n] = cur
         return n
       }
       { n = fields($0, f)
         if (NR == 1) for (i = 1; i <= n; i++) if (f[i] == "mappings_evaluated") c = i
         if (c) f[c] = ""
         out = f[1]
         for (i = 2; i <= n; i++) out = out "," f[i]
         print out }'
}
"$bench" cases > "$out/cases.txt" || exit 2
n=0 bad=0
for a in $archs; do
  for obj in edp latency energy; do
    k=0
    while read -r args; do
      name=$(basename "$a" .cfg).$obj.$k
      # shellcheck disable=SC2086
      "$before" map --arch "$a" $args --objective $obj --path hw --csv 2>&1 | strip > "$out/before/$name.csv"
      # shellcheck disable=SC2086
      "$after" map --arch "$a" $args --objective $obj --path hw --csv 2>&1 | strip > "$out/after/$name.csv"
      if ! cmp -s "$out/before/$name.csv" "$out/after/$name.csv"; then
        echo "DIFFERS: --arch $a $args --objective $obj"
        diff "$out/before/$name.csv" "$out/after/$name.csv" | head -6
        bad=$((bad + 1))
      fi
      n=$((n + 1)) k=$((k + 1))
    done < "$out/cases.txt"
  done
done
# A whole model: every op kind, the flow plan and the identical-GEMM cache.
for a in tpu-32 simba-l; do
  "$before" map --arch $a --model bert-base --path hw --csv 2>&1 | strip > "$out/before/model.$a.csv"
  "$after" map --arch $a --model bert-base --path hw --csv 2>&1 | strip > "$out/after/model.$a.csv"
  cmp -s "$out/before/model.$a.csv" "$out/after/model.$a.csv" || {
    echo "DIFFERS: --arch $a --model bert-base"
    bad=$((bad + 1))
  }
  n=$((n + 1))
done
echo "$n runs compared, $bad differ (outputs in $out)"
[ $bad -eq 0 ]
