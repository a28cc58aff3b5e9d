#!/usr/bin/env bash
# Commits a folder of checkpoints through the ./coral launcher, one command per step, as a user's
# script would: with a daemon of its own running (warmed up by a first pass into a scratch
# repository), back to back and then GAP seconds apart, and, as the baseline in the same run, the
# first STEPS_PLAIN steps as JVMs of their own (CORAL_DAEMON=0) and a copy + fsync of each file.
# Prints each step's milliseconds, then the median and mean of steps 2.. and their MB/s.
#
#   java -cp perf/target/classes:core/target/classes dev.coral.perf.stress.CheckpointFiles /tmp/ck 40
#   perf/tools/launcher-commits.sh /tmp/ck [WORK_DIR [GAP [STEPS_PLAIN]]]
#
# WORK_DIR (default /tmp/launcher-commits) is replaced; GAP defaults to 1 s, STEPS_PLAIN to 8.
# Standard output and error of the commands are /dev/null (a regular file would make the launcher
# run them itself); the daemon's log, WORK_DIR/daemon/log, tells that it served every one.
set -euo pipefail
ck=$(cd "${1:?usage: launcher-commits.sh CHECKPOINT_DIR [WORK_DIR [GAP [STEPS_PLAIN]]]}" && pwd)
work=${2:-/tmp/launcher-commits}
gap=${3:-1}
plain_steps=${4:-8}
coral="$(cd "$(dirname "$0")/../.." && pwd)/coral"
shopt -s nullglob
files=("$ck"/*.safetensors "$ck"/*.npy "$ck"/*.npz)
[ ${#files[@]} -ge 3 ] || { echo "launcher-commits: fewer than 3 checkpoints in $ck" >&2; exit 2; }
name="model.${files[0]##*.}"
bytes=$(stat -L -c %s "${files[0]}")
rm -rf "$work"
mkdir -p "$work"
export CORAL_DAEMON_DIR="$work/daemon"
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# commits every checkpoint into a new repository REPO, sleeping PAUSE seconds before each; prints ms per step
run() {
  local repo=$1 pause=$2 limit=${3:-${#files[@]}} k=0 t
  mkdir -p "$repo"
  (cd "$repo" && "$coral" init -q . >/dev/null 2>&1)
  for f in "${files[@]:0:$limit}"; do
    cp "$f" "$repo/$name"
    sleep "$pause"
    t=$(date +%s%N)
    (cd "$repo" && "$coral" commit -q -m "step $k" "$name" >/dev/null 2>/dev/null)
    echo "$k $(ms "$t")"
    k=$((k + 1))
  done
}

summary() { # label, then lines "step ms"
  python3 -c '
import statistics, sys
label, size = sys.argv[1], int(sys.argv[2])
v = [int(l.split()[1]) for l in sys.stdin if l.strip()]
print(label + ": " + " ".join(map(str, v)))
s = v[2:]
if s:
    med, mean = statistics.median(s), statistics.mean(s)
    print("  steps 2-%d: median %.0f ms (%.0f MB/s), mean %.0f ms (%.0f MB/s)" % (len(v) - 1, med, size / med / 1e3, mean, size / mean / 1e3))
' "$1" "$bytes"
}

echo "${#files[@]} checkpoints of $bytes bytes in $ck; launcher $coral"
t=$(date +%s%N)
for f in "${files[@]}"; do dd if="$f" of="$work/copy" bs=4M conv=fsync status=none; done
echo "baseline: copy + fsync $(( $(ms "$t") / ${#files[@]} )) ms a checkpoint"
CORAL_DAEMON=0 run "$work/plain" 0 "$plain_steps" | summary "baseline: one JVM per command (CORAL_DAEMON=0), first $plain_steps steps"
"$coral" daemon start >/dev/null 2>&1
until "$coral" daemon status 2>/dev/null | grep -q "warm-up done\|warm-up cut\|warm-up failed"; do sleep 1; done
run "$work/warm" 0 >/dev/null
run "$work/back-to-back" 0 | summary "daemon, back to back"
run "$work/spaced" "$gap" | summary "daemon, ${gap} s apart"
served=$(grep -c " coral commit: exit 0" "$work/daemon/log" || true)
fellback=$(grep -c "runs coral commit itself" "$work/daemon/log" || true)
"$coral" daemon stop >/dev/null 2>&1 || true
echo "the daemon served $served commits; $fellback ran on their own"
