#!/usr/bin/env bash
# The main job on the built-in defaults; later issues extend what it runs.
set -euo pipefail
heat=${1:-build/cli/heat}
run() { echo "\$ heat $*"; "$heat" "$@"; echo; }
run model show bert-base
run arch show simba-l
