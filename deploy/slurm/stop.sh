#!/usr/bin/env bash
# Stop the daemons deploy/slurm/start.sh STATE_DIR started (by the PIDs in STATE_DIR), and nothing else.
set -uo pipefail
dir=${1:?usage: stop.sh STATE_DIR}
for name in slurmd slurmctld munged; do
  f="$dir/$name.pid"
  [ -s "$f" ] || continue
  pid=$(cat "$f")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$f"
done
