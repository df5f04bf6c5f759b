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
tests/oracles/README.md.

Needs Debian's python3-numpy and python3-tqdm. Usage:
  scalesim_reports.py SCALESIM_V2_DIR INPUTS_DIR OUT.csv [MAX_DEMAND_ELEMENTS]
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
    with open(path) as f:
        r = list(csv.reader(f, skipinitialspace=True))
    head = [h.strip() for h in r[0] if h.strip()]
    vals = [v.strip() for v in r[1] if v.strip()]
    return dict(zip(head, vals))


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    ssdir, inputs, out = sys.argv[1], sys.argv[2], sys.argv[3]
    budget = float(sys.argv[4]) if len(sys.argv) > 4 else 2e8
    jobs = []
    for ci, cfg in enumerate(CONFIGS):
        arr_r, arr_c, df, run_name = read_cfg(os.path.join(inputs, cfg))
        for ti, (topo, kind) in enumerate(TOPOLOGIES):
            header, lines = layer_rows(os.path.join(inputs, topo))
            for lid, line in enumerate(lines):
                m, n, k = gemm_of(line, kind)
                cost = demand_elements(arr_r, arr_c, df, m, n, k)
                jobs.append((cost, ci, ti, lid, cfg, run_name, topo, kind, header, line, (m, n, k)))
    # cheapest first, so an interrupted run has finished as many layers as it could
    jobs.sort(key=lambda j: j[:4])
    columns, done = None, {}
    for cost, ci, ti, lid, cfg, run_name, topo, kind, header, line, (m, n, k) in jobs:
        name = line.split(",")[0].strip()
        if cost > budget:
            print(f"skipped {cfg} {topo} layer {lid} ({name}, GEMM {m}x{n}x{k}): "
                  f"{cost:.3g} demand elements > budget {budget:.3g}", file=sys.stderr)
            continue
        with tempfile.TemporaryDirectory() as tmp:
            one = os.path.join(tmp, "layer.csv")
            with open(one, "w") as f:
                f.write(header + "\n" + line + "\n")
            subprocess.run([sys.executable, "-c", RUN_ONE, ssdir,
                            os.path.join(inputs, cfg), one, kind, tmp], check=True)
            rep = {}
            for name_rep in ("COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv",
                             "DETAILED_ACCESS_REPORT.csv"):
                rep.update(read_report(os.path.join(tmp, run_name, name_rep)))
        rep.pop("LayerID")
        if columns is None:
            columns = list(rep)
        done[(ci, ti, lid)] = [cfg, topo, lid, name] + [rep[c] for c in columns]
        print(f"done {cfg} {topo} layer {lid} ({name}): {rep['Total Cycles']} cycles",
              file=sys.stderr, flush=True)
        # rewritten after every layer so an interrupted run keeps what it finished
        with open(out, "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["config", "topology", "layer", "name"] + columns)
            w.writerows(done[key] for key in sorted(done))

if __name__ == "__main__":
    main()
