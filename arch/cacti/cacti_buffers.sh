#!/usr/bin/env bash
# Leakage and area per KiB of every preset's SRAM buffers, from CACTI 7 (HewlettPackard/cacti,
# built with `make` in its own directory). Usage: arch/cacti/cacti_buffers.sh /path/to/cacti
# Prints one line per buffer: preset, buffer, KiB, access bytes, banks, leakage mW, area mm2,
# uW/KiB and um2/KiB; arch/README.md quotes the output and the presets carry the per-KiB figures.
# The configuration is CACTI's own cache.cfg with a plain RAM ("ram", direct-mapped, no tags) of
# the buffer's size, access width and banks at 45 nm, itrs-lop cells and periphery (README says
# why not the default itrs-hp). CACTI needs the size per bank to be a power of two of at least
# 64 rows, so odd sizes are rounded to the nearest power of two and very small banks merged.
set -euo pipefail
cacti_dir=$(cd "$(dirname "$1")" && pwd)
cacti_bin=$cacti_dir/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# preset buffer KiB access_bytes banks (from arch/presets/*.cfg)
buffers="simba-l global 512 32 8
simba-l weight_buf 512 8 64
simba-l input_buf 128 8 16
simba-l accum_buf 48 8 16
tpu-32 unified 2048 256 8
tpu-32 weight_buf 32 64 1
edge-16 act_buf 128 8 16
edge-16 weight_buf 64 8 8
eyeriss-like glb 128 8 32
eyeriss-like weight_spad 63 2 168
cloud-128 act_buf 16384 8 128
cloud-128 weight_buf 4096 8 32"

pow2() { # nearest power of two of $1 (>= 1)
  awk -v x="$1" 'BEGIN { p = 1; while (p * 2 <= x) p *= 2; if (x - p > 2 * p - x) p *= 2; print p }'
}

echo "preset,buffer,kib,access_bytes,banks,cacti_kib,cacti_banks,leakage_mw,area_mm2,leakage_uw_per_kib,area_um2_per_kib"
while read -r preset name kib access banks; do
  bytes=$(( $(pow2 "$kib") * 1024 ))
  block=$access
  (( block < 8 )) && block=8 # CACTI's narrowest RAM word here
  b=$(pow2 "$banks")
  # at least 64 rows of `block` bytes per bank
  while (( b > 1 && bytes / b < 64 * block )); do b=$(( b / 2 )); done
  cfg=$tmp/$preset-$name.cfg
  sed -e "s/^-size (bytes).*/-size (bytes) $bytes/" \
      -e "s/^-block size (bytes).*/-block size (bytes) $block/" \
      -e "s/^-associativity.*/-associativity 1/" \
      -e "s/^-UCA bank count.*/-UCA bank count $b/" \
      -e "s/^-technology (u).*/-technology (u) 0.045/" \
      -e "s/^-cache type.*/-cache type \"ram\"/" \
      -e "s/^-output\/input bus width.*/-output\/input bus width $(( block * 8 ))/" \
      -e "s/\"itrs-hp\"/\"itrs-lop\"/g" "$cacti_dir/cache.cfg" > "$cfg"
  out=$tmp/$preset-$name.out
  (cd "$cacti_dir" && "$cacti_bin" -infile "$cfg" > "$out" 2>&1) || true
  leak_bank=$(awk -F': ' '/Total leakage power of a bank \(mW\)/ { print $2; exit }' "$out")
  hw=$(awk -F': ' '/Cache height x width \(mm\)/ { print $2; exit }' "$out")
  if [[ -z "$leak_bank" || -z "$hw" ]]; then
    echo "$preset,$name,$kib,$access,$banks,$(( bytes / 1024 )),$b,FAILED,,," ; continue
  fi
  awk -v p="$preset" -v n="$name" -v kib="$kib" -v acc="$access" -v banks="$banks" \
      -v ckib=$(( bytes / 1024 )) -v cb="$b" -v lb="$leak_bank" -v hw="$hw" 'BEGIN {
    split(hw, d, " x "); area = d[1] * d[2]; leak = lb * cb
    printf "%s,%s,%s,%s,%s,%d,%d,%.4g,%.4g,%.4g,%.4g\n", p, n, kib, acc, banks, ckib, cb, leak,
           area, leak * 1000 / ckib, area * 1e6 / ckib }'
done <<< "$buffers"
