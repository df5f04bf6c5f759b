#!/usr/bin/env bash
# The main job on the built-in defaults: the model and HEAT's accelerator, then BERT-base's
# FFN1 (3072 x 768, 384 tokens, 12 layers) dense and in four factorized formats on simba-l,
# each with its parameters, reconstruction error of a seeded synthetic weight, and the
# mapped latency, energy and EDP from the analytical model.
set -euo pipefail
heat=${1:-build/cli/heat}
run() { echo "\$ heat $*"; "$heat" "$@"; echo; }

run model show bert-base
run arch show simba-l

arch=simba-l
echo "BERT-base FFN1 on $arch, all 12 layers (weights: synthetic, power-law spectrum, smooth structure + noise; see workloads/README.md)"
printf '%-8s %-16s %-12s %10s %10s %9s %9s %14s %12s %12s %12s\n' \
  format shape ranks params stored compress rel_error MACs latency_s energy_j edp_js
row() {
  local format=$1 shape=$2 ranks=$3
  local fact map
  fact=$("$heat" decompose --format "$format" --shape "$shape" ${ranks:+--ranks "$ranks"} \
    --seq 384 --csv | tail -n 1)
  map=$("$heat" map --arch "$arch" --model bert-base --layer ffn1 --format "$format" \
    --shape "$shape" ${ranks:+--ranks "$ranks"} --csv)
  # map's columns are found by name (they depend on the arch's buffers); decompose's first
  # column is quoted text with a comma inside, so its columns are counted from the end:
  # ...,params,dense_params,compression,rel_error,error_kind,macs,dense_macs,stored_params,
  # stored_compression,offline_steps. params are the factors'; stored and compress what the
  # accelerator stores after pre-computation.
  awk -F, -v f="$format" -v s="$shape" -v r="${ranks:--}" -v fact="$fact" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $1 == "total" {
      n = split(fact, d, ",")
      printf "%-8s %-16s %-12s %10s %10s %9.4f %9.4f %14s %12.6g %12.6g %12.6g\n", f, s, r,
        d[n-9], d[n-2], d[n-1], d[n-6], $col["macs"], $col["latency_s"], $col["energy_j"],
        $col["edp_js"]
    }' <<<"$map"
}
row dense 3072:768 ""
row svd 3072:768 256
row cp 64x48:32x24 280
row tucker 64x48:32x24 24,24,24,24
row ttm 12x16x16:8x8x12 16,16
echo
echo "Per-step mappings: heat map --arch $arch --model bert-base --layer ffn1 --format cp \\"
echo "  --shape 64x48:32x24 --ranks 280    (add --csv for a table; --help for options)"
echo
# The main job: the hardware-aware decomposition search on the defaults (BERT-base, simba-l,
# synthetic weights). The cost table in results/.cache makes a repeated run near-instant.
run search
echo "Tables, plans and figures: results/search-bert-base-simba-l/ (summary.csv, points.csv,"
echo "fronts.csv, plans.csv, *.json for heat map --plan, fig_*.png|svg|pdf)."
echo "Price a plan: $heat map --arch $arch --plan results/search-bert-base-simba-l/cp-searched.json"
