#!/usr/bin/env bash
# Regenerates results/heat-table1/: HEAT's Table 1 experiment (Gu et al. 2022, §4) with heat.
# BERT-base and DistilBERT at sequence 384 on simba-l, formats TTM, Tucker and CP; per model
# dense, and per format 2 manual plans (manual/*.json, written below), 2 heuristic plans (the
# searched shape, one uniform rank at the searched plan's compression, as TensorLy) and 3
# searched plans (heat search's objective (1-acc)·EDP^0.25 alone, then under a budget on the
# size-weighted mean eps of 0.4 and 0.3: a1, a2, a3 from most to least compressed, as HEAT-a1..a3).
# Weights are heat's seeded synthetic ones (workloads/README.md).
# Usage: results/heat-table1/run.sh [path/to/heat]   (default build/cli/heat; 1-8 minutes on
# 2 cores, most of it the first, cold level 1; the caches in .cache/ make later runs faster)
set -euo pipefail
heat=$(readlink -f "${1:-build/cli/heat}")
# from the source tree's root, so that the outputs name relative paths
cd "$(dirname "$0")/../.."
here=results/heat-table1
work=${HEAT_TABLE1_WORK:-$here/.work}     # full search outputs (not kept in git)
cache=${HEAT_TABLE1_CACHE:-$here/.cache}  # cost and error tables shared by the runs
arch=simba-l
budgets=(none 0.4 0.3)
levels=(a1 a2 a3)
mkdir -p "$here/manual" "$here/plans" "$here/runs" "$work"

# A manual plan: every block and role in one format, the shapes and ranks given per weight size
# (768x768: q k v o; 3072x768: ffn1; 768x3072: ffn2).
manual_plan() { # model layers format name s768 r768 s_ffn1 r_ffn1 s_ffn2 r_ffn2
  local model=$1 layers=$2 fmt=$3 out=$4 sep="" l role shape ranks
  {
    printf '{\n  "schema": "heat-plan",\n  "version": 1,\n  "model": "%s",\n' "$model"
    printf '  "arch": "%s",\n  "seq": 384,\n  "note": "results/heat-table1 manual baseline",\n' "$arch"
    printf '  "linears": [\n'
    for ((l = 0; l < layers; l++)); do
      for role in q k v o ffn1 ffn2; do
        case $role in
          ffn1) shape=$7 ranks=$8 ;;
          ffn2) shape=$9 ranks=${10} ;;
          *) shape=$5 ranks=$6 ;;
        esac
        printf '%s    {"layer": %d, "role": "%s", "format": "%s", "shape": "%s", "ranks": [%s]}' \
          "$sep" "$l" "$role" "$fmt" "$shape" "$ranks"
        sep=$',\n'
      done
    done
    printf '\n  ]\n}\n'
  } >"$out"
}

for model in bert-base distilbert; do
  layers=$("$heat" model list | awk -v m="$model" '$1 == m {print $3}')
  m=$here/manual/$model
  mkdir -p "$m"
  # HEAT's shapes where the paper names them (8x8x12 and 12x16x16 for TTM), ranks by hand
  manual_plan "$model" "$layers" ttm "$m/ttm-1.json" 8x8x12:8x8x12 16,16 12x16x16:8x8x12 16,16 8x8x12:12x16x16 16,16
  manual_plan "$model" "$layers" ttm "$m/ttm-2.json" 8x8x12:8x8x12 32,32 12x16x16:8x8x12 32,32 8x8x12:12x16x16 32,32
  manual_plan "$model" "$layers" tucker "$m/tucker-1.json" 24x32:24x32 8,8,8,8 48x64:24x32 8,8,8,8 24x32:48x64 8,8,8,8
  manual_plan "$model" "$layers" tucker "$m/tucker-2.json" 24x32:24x32 16,16,16,16 48x64:24x32 16,16,16,16 24x32:48x64 16,16,16,16
  manual_plan "$model" "$layers" cp "$m/cp-1.json" 8x8x12:8x8x12 64 12x16x16:8x8x12 64 8x8x12:12x16x16 64
  manual_plan "$model" "$layers" cp "$m/cp-2.json" 8x8x12:8x8x12 256 12x16x16:8x8x12 256 8x8x12:12x16x16 256
  manuals=$m/ttm-1.json,$m/ttm-2.json,$m/tucker-1.json,$m/tucker-2.json,$m/cp-1.json,$m/cp-2.json
  for i in 0 1 2; do
    run=$model-${levels[$i]}
    extra=()
    [ "$i" = 0 ] && extra=(--manual "$manuals")
    [ "${budgets[$i]}" != none ] && extra+=(--max-error "${budgets[$i]}")
    echo "== heat search --model $model --arch $arch --seq 384 --formats ttm,tucker,cp ${extra[*]}" >&2
    "$heat" search --model "$model" --arch "$arch" --seq 384 --formats ttm,tucker,cp \
      --out "$work/$run" --cache "$cache" --no-figures "${extra[@]}" >"$here/runs/$run.txt"
    cp "$work/$run/summary.csv" "$here/runs/$run.csv"
  done
done

# table1.csv: one row per (model, plan). summary.csv's columns 1-12 are plain; its weights
# column is quoted text with commas, so the two simulated columns after it are counted from the end.
table=$here/table1.csv
echo "model,format,kind,plan,eps_budget,params,params_m,compression,eps_mean,acc_proxy,latency_s,latency_sim_s,energy_j,edp_js,edp_reduction_x,meets_budget,plan_file" >"$table"
for model in bert-base distilbert; do
  mkdir -p "$here/plans/$model"
  for i in 0 1 2; do
    run=$model-${levels[$i]}
    awk -F, -v model="$model" -v level="${levels[$i]}" -v budget="${budgets[$i]}" -v first="$i" '
      NR == 1 { next }
      {
        kind = $2; name = $1; keep = 0; label = name; fmt = $3
        if (kind == "dense" && first == 0) { keep = 1; b = "" }
        if (kind == "manual" && first == 0) { # manual-ttm-1 -> ttm-manual-1
          keep = 1; b = ""; sub(/^manual-/, "", label); split(label, p, "-")
          fmt = p[1]; label = p[1] "-manual-" p[2]
        }
        if (kind == "heuristic" && first < 2) { keep = 1; b = budget; label = name "-" level }
        if (kind == "searched") { keep = 1; b = budget; label = name "-" level }
        if (b == "none") b = ""
        if (!keep) next
        if (kind == "searched" || kind == "heuristic") fmt = substr(name, 1, index(name, "-") - 1)
        printf "%s,%s,%s,%s,%s,%s,%.2f,%s,%s,%s,%s,%s,%s,%s,%s,%s,plans/%s/%s.json\n", model, fmt, kind,
          label, b, $4, $4 / 1e6, $5, $6, $7, $8, $(NF - 1), $9, $10, $11, $12, model, label
        print name " " label > "/dev/stderr"
      }' "$here/runs/$run.csv" >>"$table" 2>"$work/$run.names"
    while read -r name label; do
      cp "$work/$run/$name.json" "$here/plans/$model/$label.json"
    done <"$work/$run.names"
  done
done
echo "wrote $table" >&2

# The figure: EDP reduction over dense vs parameters, per model, with HEAT's published points.
cat >"$here/paper.csv" <<'CSV'
# HEAT (Gu et al. 2022, Table 1): BERT-base on SQuAD v1.1, seq 384, their Simba-L; dense 109.50 M params, EDP 34.31 uJ*s
format,plan,params_m,f1,edp_ujs,edp_reduction_x
ttm,HEAT-a1,41.60,86.01,25.06,1.369
ttm,HEAT-a2,46.42,86.71,28.93,1.186
ttm,HEAT-a3,54.68,87.36,32.72,1.049
tucker,HEAT-a1,42.14,83.41,4.91,6.988
tucker,HEAT-a2,50.96,85.51,7.45,4.605
tucker,HEAT-a3,63.62,86.35,10.40,3.299
cp,HEAT-a1,48.88,87.11,5.99,5.728
cp,HEAT-a2,59.08,87.79,9.01,3.808
cp,HEAT-a3,74.15,87.91,14.50,2.366
CSV
if command -v gnuplot >/dev/null; then
  (cd "$here" && gnuplot fig_table1.gp) && echo "wrote $here/fig_table1.{png,svg,pdf}" >&2
else
  echo "gnuplot not found: figure not made (fig_table1.gp stays)" >&2
fi
