# A private one-node Slurm for the tests, sourced by tests/slurm/run_tests.sh: its own munged
# (own key and socket), slurmctld and slurmd, all configured, logging and keeping state under
# $CLUSTER_DIR, on ports nobody else listens on. Nothing under /etc is read or changed.
#
#   cluster_install          apt-get install slurm-wlm and munge when missing (CI: fresh Debian)
#   cluster_start DIR        write DIR/slurm.conf, start the three daemons, wait for the node
#   cluster_stop             cancel this cluster's jobs, stop the daemons by their pids
#
# After cluster_start, SLURM_CONF points at DIR/slurm.conf, so sbatch, squeue, scontrol, scancel
# and sinfo talk to this cluster (there is no accounting: no sacct).

CLUSTER_PIDS=()

cluster_log() { echo "slurm-test: $*" >&2; }

cluster_install() {
  local missing=()
  for tool in slurmctld slurmd sbatch munged; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  cluster_log "installing slurm-wlm and munge (missing: ${missing[*]})"
  if [ "$(id -u)" != 0 ]; then
    cluster_log "not root: cannot apt-get install; install slurm-wlm and munge first"
    return 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends slurm-wlm munge >/dev/null 2>&1 ||
    { apt-get update >/dev/null && apt-get install -y --no-install-recommends slurm-wlm munge >/dev/null; }
}

# A TCP port in [from, from+200) that nothing listens on (a connect to it is refused).
cluster_free_port() {
  local port
  for port in $(seq "$1" $(($1 + 200))); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

cluster_start() {
  CLUSTER_DIR=$1
  local d=$CLUSTER_DIR
  mkdir -p "$d/munge" "$d/state" "$d/spool" "$d/log"
  chmod 700 "$d/munge"

  # munged: its own key and socket (a system munged, if any, is left alone).
  dd if=/dev/urandom of="$d/munge/munge.key" bs=1024 count=1 status=none
  chmod 600 "$d/munge/munge.key"
  munged --foreground --force --socket="$d/munge/socket" --key-file="$d/munge/munge.key" \
    --pid-file="$d/munge/munged.pid" --log-file="$d/log/munged.log" \
    --seed-file="$d/munge/seed" >"$d/log/munged.out" 2>&1 &
  CLUSTER_PIDS+=($!)

  # slurm.conf for this machine: slurmd -C reports its CPUs, sockets, cores and memory.
  local host node ctld_port slurmd_port
  host=$(hostname -s)
  node=$(slurmd -C | head -n 1)
  ctld_port=$(cluster_free_port $((20000 + RANDOM % 20000)))
  slurmd_port=$(cluster_free_port $((ctld_port + 1)))
  : >"$d/plugstack.conf"
  cat >"$d/slurm.conf" <<EOF
# Written by tests/slurm/cluster.sh: a one-node test cluster, root everywhere, no accounting.
ClusterName=bertgridtest
SlurmctldHost=$host
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# Our own munged; cred_expire sets how long a requeued job waits before it may start again
# (now + cred_expire + 1 s; the default 120 s would dominate the preemption test).
AuthInfo=socket=$d/munge/socket,cred_expire=5
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
PlugStackConfig=$d/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1,bf_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobRequeue=1
KillWait=30
MinJobAge=600
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
$node State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
  export SLURM_CONF=$d/slurm.conf

  # Wait for munged's socket before the Slurm daemons authenticate through it.
  for _ in $(seq 50); do [ -S "$d/munge/socket" ] && break; sleep 0.1; done
  [ -S "$d/munge/socket" ] || { cluster_log "munged did not start:"; cat "$d/log/munged.out" >&2; return 1; }

  slurmctld -D -i -f "$d/slurm.conf" >"$d/log/slurmctld.out" 2>&1 &
  CLUSTER_PIDS+=($!)
  slurmd -D -f "$d/slurm.conf" >"$d/log/slurmd.out" 2>&1 &
  CLUSTER_PIDS+=($!)

  # The node is usable once sinfo reports it idle.
  local state=""
  for _ in $(seq 120); do
    state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
    [ "$state" = idle ] && break
    sleep 0.5
  done
  if [ "$state" != idle ]; then
    cluster_log "node $host not idle (state '$state'); logs:"
    tail -n 30 "$d/log/slurmctld.log" "$d/log/slurmd.log" "$d/log/slurmctld.out" "$d/log/slurmd.out" >&2
    return 1
  fi
  cluster_log "cluster up: $node (slurmctld :$ctld_port, slurmd :$slurmd_port), pids ${CLUSTER_PIDS[*]}"
}

cluster_stop() {
  [ ${#CLUSTER_PIDS[@]} -eq 0 ] && return 0
  # Jobs first (their slurmstepd would outlive slurmd), then the daemons, newest first.
  if [ -n "${SLURM_CONF:-}" ] && kill -0 "${CLUSTER_PIDS[1]:-0}" 2>/dev/null; then
    scancel --full --signal=KILL --partition=test >/dev/null 2>&1 || true
    scancel --partition=test >/dev/null 2>&1 || true
    for _ in $(seq 40); do
      [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break
      sleep 0.5
    done
  fi
  local n pid
  for ((n = ${#CLUSTER_PIDS[@]} - 1; n >= 0; n--)); do
    pid=${CLUSTER_PIDS[n]}
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  CLUSTER_PIDS=()
}
