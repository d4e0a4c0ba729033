#!/usr/bin/env bash
# Start a single-node Slurm cluster (munged if not running, slurmctld, slurmd) as root, with its state,
# logs and config in STATE_DIR. Prints `SLURM_CONF=…` on success. Stop it with deploy/slurm/stop.sh STATE_DIR.
# Needs Debian's slurm-wlm and munge (apt-get install -y slurm-wlm munge). See TOOLCHAIN.md §9.
set -euo pipefail
dir=${1:?usage: start.sh STATE_DIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir"/ctld "$dir"/d "$dir"/log
dir=$(cd "$dir" && pwd)
host=$(hostname -s)
mem=$(( $(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo) / 2 ))
sed -e "s|@HOST@|$host|g" -e "s|@DIR@|$dir|g" -e "s|@CPUS@|$(nproc)|g" -e "s|@MEM@|$mem|g" \
    -e "s|@CTLD_PORT@|${DAQKIT_SLURMCTLD_PORT:-6917}|g" -e "s|@D_PORT@|${DAQKIT_SLURMD_PORT:-6918}|g" \
    "$here/slurm.conf.in" > "$dir/slurm.conf"
export SLURM_CONF="$dir/slurm.conf"
if ! munge -n </dev/null >/dev/null 2>&1; then
  mkdir -p /etc/munge /run/munge /var/log/munge /var/lib/munge
  if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
  fi
  chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
  chmod 400 /etc/munge/munge.key
  /usr/sbin/munged --force 2>>"$dir/log/munged.err"
  cp /run/munge/munged.pid "$dir/munged.pid" 2>/dev/null || pgrep -n -x munged > "$dir/munged.pid"
fi
/usr/sbin/slurmctld -f "$SLURM_CONF"
/usr/sbin/slurmd -f "$SLURM_CONF"
# Wait (≤ 60 s) for the node to be idle.
for _ in $(seq 1 120); do
  state=$(sinfo -h -o %T 2>/dev/null | head -1 || true)
  case "$state" in idle|mixed|allocated) echo "SLURM_CONF=$SLURM_CONF"; exit 0 ;; esac
  sleep 0.5
done
echo "slurm did not come up (node state: ${state:-none}); logs in $dir/log" >&2
"$here/stop.sh" "$dir" >&2 || true
exit 1
