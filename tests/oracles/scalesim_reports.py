#!/usr/bin/env python3
"""Goldens for `heat sim --scalesim-config X.cfg --topology Y.csv`: SCALE-Sim v2's own reports.

Runs SCALE-Sim v2 (github:scalesim-project/scale-sim-v2, unmodified; pass the folder that holds its
`scalesim/` package) on every shipped config x topology pair of ../shared/reference/scalesim-inputs/
and writes one row per layer with every number of its three reports (COMPUTE_REPORT.csv,
BANDWIDTH_REPORT.csv, DETAILED_ACCESS_REPORT.csv), under SCALE-Sim's own column names, to
tests/oracles/scalesim_reports.csv.

Each layer runs alone in a fresh process (SCALE-Sim builds a fresh memory system per layer, so this
changes no number) so that a layer too large for SCALE-Sim's Python loops (about 5e5 demand
elements per second here, and several bytes of numpy demand matrices per element) can be skipped by
budget instead of stalling the whole run. Skipped layers are printed on stderr and listed in
sim/README.md. An existing OUT.csv is resumed: its layers are kept, not run again.

Every config x topology pair of EXTRA_DIR (tests/sim/scalesim-extra: small arrays, IS, 1 KiB
buffers, strides that leave input rows unread, depthwise layers: what the shipped pairs do not
reach) is run too; a topology there is GEMM when its header has 4 fields. Its user_*.cfg configs
run SCALE-Sim's USER bandwidth mode (InterfaceBandwidth: USER, its fixed-bandwidth
read_buffer.py whose late prefetches stall the array) at 1 to 1000 words per cycle on OS, WS and
IS arrays with 1-4 KiB buffers: some layers stall most of their cycles, others not at all.

Needs Debian's python3-numpy and python3-tqdm. Usage:
  scalesim_reports.py SCALESIM_V2_DIR INPUTS_DIR OUT.csv [MAX_DEMAND_ELEMENTS [EXTRA_DIR]]
"""
import csv
import math
import os
import subprocess
import sys
import tempfile

CONFIGS = ["scale.cfg", "google.cfg", "eyeriss.cfg"]
# name -> SCALE-Sim input type (its -i flag): GEMM_mnk files or conv_nets files
TOPOLOGIES = [("test.csv", "conv"), ("Resnet_test.csv", "conv"), ("alexnet_part.csv", "conv"),
              ("transformer_partial.csv", "gemm"), ("gpt2.csv", "gemm")]

RUN_ONE = r"""
import sys
sys.path.insert(0, sys.argv[1])
from scalesim.scale_sim import scalesim
s = scalesim(save_disk_space=True, verbose=False, config=sys.argv[2], topology=sys.argv[3],
             input_type_gemm=(sys.argv[4] == 'gemm'))
s.run_scale(top_path=sys.argv[5])
"""


def read_cfg(path):
    """Array shape and dataflow, read as SCALE-Sim reads them (configparser)."""
    import configparser
    cp = configparser.ConfigParser()
    cp.read(path)
    sec = "architecture_presets"
    return (int(cp.get(sec, "ArrayHeight")), int(cp.get(sec, "ArrayWidth")),
            cp.get(sec, "Dataflow").strip(), cp.get("general", "run_name").strip())


def layer_rows(path):
    """Header line and the data lines, verbatim (trailing commas and all)."""
    with open(path, newline="") as f:
        lines = [ln.rstrip("\r\n") for ln in f]
    return lines[0], [ln for ln in lines[1:] if ln.strip()]


def gemm_of(line, kind):
    """(M, N, K) of one topology line, SCALE-Sim's im2col lowering for conv."""
    e = [x.strip() for x in line.split(",")]
    if kind == "gemm":
        return int(e[1]), int(e[2]), int(e[3])
    ih, iw, fh, fw, ch, nf, sh = (int(x) for x in e[1:8])
    sw = int(e[8]) if len(e) > 9 and e[8] else sh
    oh = math.ceil((ih - fh + sh) / sh)
    ow = math.ceil((iw - fw + sw) / sw)
    return oh * ow, nf, fh * fw * ch


def demand_elements(rows, cols, df, m, n, k):
    """Size of SCALE-Sim's demand matrices (cycles x (rows + 2 cols)): its run time and memory."""
    sr, sc, t = {"os": (m, n, k), "ws": (k, n, m), "is": (k, m, n)}[df]
    folds = math.ceil(sr / rows) * math.ceil(sc / cols)
    per = t + rows + cols - 2 if df == "os" else 2 * rows + cols + t - 2
    return folds * per * (rows + 2 * cols)


def read_report(path):
    """One dict per layer row of a SCALE-Sim report."""
    with open(path) as f:
        r = list(csv.reader(f, skipinitialspace=True))
    head = [h.strip() for h in r[0] if h.strip()]
    return [dict(zip(head, [v.strip() for v in row if v.strip()])) for row in r[1:] if row]


def expanded(line, kind):
    """How many layers SCALE-Sim makes of a row: one per channel for a depthwise ("DP") conv."""
    e = [x.strip() for x in line.split(",")]
    return int(e[5]) if kind == "conv" and "DP" in e[0] else 1


def write(out, columns, done):
    with open(out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["config", "topology", "layer", "name"] + columns)
        w.writerows(done[key] for key in sorted(done))


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    ssdir, inputs, out = sys.argv[1], sys.argv[2], sys.argv[3]
    budget = float(sys.argv[4]) if len(sys.argv) > 4 else 2e8
    pairs = [(inputs, CONFIGS, [(t, k) for t, k in TOPOLOGIES])]
    if len(sys.argv) > 5:
        extra = sys.argv[5]
        names = sorted(os.listdir(extra))
        topos = []
        for t in (n for n in names if n.endswith(".csv")):
            head, _ = layer_rows(os.path.join(extra, t))
            topos.append((t, "gemm" if len([x for x in head.split(",") if x.strip()]) == 4 else "conv"))
        pairs.append((extra, [n for n in names if n.endswith(".cfg")], topos))
    jobs = []
    for folder, configs, topologies in pairs:
      for ci, cfg in enumerate(configs):
        arr_r, arr_c, df, run_name = read_cfg(os.path.join(folder, cfg))
        for ti, (topo, kind) in enumerate(topologies):
            header, lines = layer_rows(os.path.join(folder, topo))
            lid = 0  # heat's and SCALE-Sim's layer index (depthwise rows expand)
            for line in lines:
                m, n, k = gemm_of(line, kind)
                cost = demand_elements(arr_r, arr_c, df, m, n, k) * expanded(line, kind)
                jobs.append((cost, folder != inputs, ci, ti, lid, folder, cfg, run_name, topo, kind,
                             header, line, (m, n, k)))
                lid += expanded(line, kind)
    # cheapest first, so an interrupted run has finished as many layers as it could
    jobs.sort(key=lambda j: j[:5])
    order = {}  # (config, topology, layer) -> sort key; a depthwise row is several layers
    for j in jobs:
        for sub in range(expanded(j[11], j[9])):
            order[(j[6], j[8], str(j[4] + sub))] = j[1:4] + (j[4], sub)
    columns, done = None, {}
    if os.path.exists(out):  # resume: keep the layers an earlier run finished
        with open(out, newline="") as f:
            rows = list(csv.reader(f))
        columns = rows[0][4:]
        for row in rows[1:]:
            key = (row[0], row[1], row[2])
            if key in order:
                done[order[key]] = row
    for cost, is_extra, ci, ti, lid, folder, cfg, run_name, topo, kind, header, line, (m, n, k) in jobs:
        name = line.split(",")[0].strip()
        if (is_extra, ci, ti, lid, 0) in done:
            continue
        if cost > budget:
            print(f"skipped {cfg} {topo} layer {lid} ({name}, GEMM {m}x{n}x{k}): "
                  f"{cost:.3g} demand elements > budget {budget:.3g}", file=sys.stderr)
            continue
        with tempfile.TemporaryDirectory() as tmp:
            one = os.path.join(tmp, "layer.csv")
            with open(one, "w") as f:
                f.write(header + "\n" + line + "\n")
            subprocess.run([sys.executable, "-c", RUN_ONE, ssdir,
                            os.path.join(folder, cfg), one, kind, tmp], check=True)
            reps = None
            for name_rep in ("COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv",
                             "DETAILED_ACCESS_REPORT.csv"):
                rows = read_report(os.path.join(tmp, run_name, name_rep))
                reps = rows if reps is None else [a | b for a, b in zip(reps, rows)]
        for sub, rep in enumerate(reps):
            rep.pop("LayerID")
            if columns is None:
                columns = list(rep)
            sub_name = name + (f"Channel_{sub}" if len(reps) > 1 else "")
            done[(is_extra, ci, ti, lid, sub)] = [cfg, topo, lid + sub, sub_name] + \
                [rep[c] for c in columns]
        print(f"done {cfg} {topo} layer {lid} ({name}): {reps[0]['Total Cycles']} cycles",
              file=sys.stderr, flush=True)
        write(out, columns, done)  # after every layer: an interrupted run keeps what it finished
    write(out, columns, done)

if __name__ == "__main__":
    main()
