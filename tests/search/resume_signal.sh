#!/bin/sh
# heat search / heat sweep stopped from outside with SIGTERM or SIGINT once they have written a
# checkpoint: they save it, say how to continue and exit with 128 + the signal; --resume then
# gives the same files as an uninterrupted run. Each save sleeps 150 ms
# (HEAT_CHECKPOINT_TEST=sleep-ms=150) so the signal lands mid-run on any machine.
# usage: resume_signal.sh HEAT WORKDIR search|sweep SIGNAL ARGS...
set -u
heat=$1 work=$2 cmd=$3 sig=$4
shift 4
rm -rf "$work"
mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$heat" "$cmd" "$@" --out "$work/ref" >"$work/ref.out" 2>&1 || fail "uninterrupted run: $(cat "$work/ref.out")"

HEAT_CHECKPOINT_TEST=sleep-ms=150 "$heat" "$cmd" "$@" --out "$work/run" >"$work/run.out" 2>"$work/run.err" &
pid=$!
i=0
while [ ! -f "$work/run/checkpoint.txt" ]; do
  i=$((i + 1))
  [ $i -gt 600 ] && { kill -KILL $pid; fail "no checkpoint after 60 s"; }
  kill -0 $pid 2>/dev/null || fail "the run ended before its first checkpoint: $(cat "$work/run.err")"
  sleep 0.1
done
kill -"$sig" $pid
wait $pid
rc=$?
case $sig in TERM) want=143 name=SIGTERM ;; INT) want=130 name=SIGINT ;; *) fail "signal $sig" ;; esac
[ $rc -eq $want ] || fail "exit $rc after SIG$sig, expected $want: $(cat "$work/run.err")"
grep -q "^heat: interrupted by $name: [0-9]* completed records saved in $work/run/checkpoint.txt; rerun the same command with --resume to continue" "$work/run.err" ||
  fail "message: $(cat "$work/run.err")"

"$heat" "$cmd" "$@" --out "$work/run" --resume >"$work/resume.out" 2>"$work/resume.err" ||
  fail "resume: $(cat "$work/resume.err")"
grep -q "^heat: resuming from $work/run/checkpoint.txt" "$work/resume.err" || fail "resume said: $(cat "$work/resume.err")"
[ -f "$work/run/checkpoint.txt" ] && fail "checkpoint left after the run completed"
for f in "$work"/ref/*; do
  cmp -s "$f" "$work/run/${f##*/}" || fail "${f##*/} differs from the uninterrupted run's"
done
[ "$(ls "$work/ref")" = "$(ls "$work/run")" ] || fail "other files: $(ls "$work/run")"
echo "ok: $cmd stopped by $name and resumed"
