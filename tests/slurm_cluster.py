"""A real one-node SLURM cluster on loopback for the tests: Debian's slurm-wlm and munge daemons started as root,
every file (config, keys, sockets, state, logs) in one private folder, on free ports, so it never touches a
system SLURM or another test session's cluster.

The node declares two fake GPUs (gres/gpu backed by stand-in device nodes), so jobs asking for `--gpus=1` are scheduled
and get the `CUDA_VISIBLE_DEVICES` of their allocation, as on a GPU cluster; torch still sees no CUDA device.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

PACKAGES = ("slurm-wlm", "munge")
DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "srun")
PARTITION = "main"
FAKE_GPUS = 2


class ClusterUnavailable(Exception):
    """The daemons cannot be installed or started here (not root, no apt): the tests skip with this reason."""


def install_daemons() -> None:
    """Install slurm-wlm and munge with apt when missing (CI installs them in tools/install_system.sh)."""
    if all(_which(d) for d in DAEMONS):
        return
    if os.geteuid() != 0:
        raise ClusterUnavailable("the SLURM daemons are not installed and installing them needs root "
                                 f"(apt-get install {' '.join(PACKAGES)})")
    if not shutil.which("apt-get"):
        raise ClusterUnavailable("the SLURM daemons are not installed and there is no apt-get to install them")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                                                *PACKAGES]):
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise ClusterUnavailable(f"{' '.join(cmd)} failed: {proc.stderr.strip()[-500:]}")
    missing = [d for d in DAEMONS if not _which(d)]
    if missing:
        raise ClusterUnavailable(f"installed {' '.join(PACKAGES)} but {missing} are still missing")


def _which(name: str) -> str | None:
    # The daemons live in /usr/sbin, which a non-login PATH may lack.
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@dataclass
class SlurmCluster:
    """A running cluster: `env` points SLURM's clients (sbatch, squeue, snakemake's plugin) at it."""

    root: Path
    node: str
    env: dict
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    started_in_s: float = 0.0

    @property
    def conf(self) -> Path:
        return self.root / "etc" / "slurm.conf"

    def run(self, *cmd: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
        proc = subprocess.run([_which(cmd[0]) or cmd[0], *cmd[1:]], env=self.env, capture_output=True, text=True,
                              timeout=timeout)
        if check and proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()}\n{self.logs()}")
        return proc

    def node_state(self) -> str:
        proc = self.run("sinfo", "-h", "-N", "-o", "%t", check=False)
        return proc.stdout.strip() if proc.returncode == 0 else ""

    def logs(self) -> str:
        """The daemons' log tails, for failure messages."""
        parts = []
        for name in ("munged", "slurmctld", "slurmd"):
            path = self.root / "log" / f"{name}.log"
            if path.exists():
                parts.append(f"--- {name}.log\n" + "\n".join(path.read_text(errors="replace").splitlines()[-25:]))
        return "\n".join(parts)


def _wait(what: str, ready, cluster: SlurmCluster, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dead = [n for n, p in cluster.processes.items() if p.poll() is not None]
        if dead:
            raise RuntimeError(f"{', '.join(dead)} exited while waiting for {what}\n{cluster.logs()}")
        if ready():
            return
        time.sleep(0.2)
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}\n{cluster.logs()}")


def _write_config(root: Path, node: str) -> tuple[Path, dict]:
    for sub in ("etc", "munge", "state", "spool", "log", "run", "dev"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    ctld_port, slurmd_port = _free_ports(2)
    socket_path = root / "munge" / "munge.socket"
    # No cgroups in a container (linuxproc, task/none), no accounting database, controller bound to loopback.
    conf = f"""\
ClusterName=relurepro-test
SlurmctldHost={node}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={socket_path}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
GresTypes=gpu
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SlurmUser=root
SlurmdUser=root
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/run/slurmctld.pid
SlurmdPidFile={root}/run/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
ReturnToService=2
KillWait=5
# Memory requests are bookkeeping here (no cgroups enforce them): the node declares 256 GB whatever the machine has,
# so the profile's paper-scale requests fit, and config_overrides keeps slurmd from draining it for the mismatch.
SlurmdParameters=config_overrides
MinJobAge=300
NodeName={node} NodeAddr=127.0.0.1 CPUs={os.cpu_count()} RealMemory=262144 Gres=gpu:{FAKE_GPUS} State=UNKNOWN
PartitionName={PARTITION} Nodes={node} Default=YES MaxTime=INFINITE State=UP
"""
    (root / "etc" / "slurm.conf").write_text(conf)
    # One stand-in character device per fake GPU (SLURM wants devices; these are /dev/null's numbers), from
    # whose names it numbers a job's CUDA_VISIBLE_DEVICES.
    for i in range(FAKE_GPUS):
        os.mknod(root / "dev" / f"gpu{i}", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    (root / "etc" / "gres.conf").write_text(f"NodeName={node} Name=gpu File={root}/dev/gpu[0-{FAKE_GPUS - 1}]\n")
    env = {**os.environ, "SLURM_CONF": str(root / "etc" / "slurm.conf")}
    # Inside a job, snakemake's jobstep executor drops every SLURM_* variable (SLURM_CONF too) before it starts the
    # rule with `srun`, which then looks for /etc/slurm/slurm.conf, where a real cluster keeps it. This private
    # cluster leaves /etc alone: a shim first on PATH hands the real srun its config.
    (root / "bin").mkdir(exist_ok=True)
    shim = root / "bin" / "srun"
    shim.write_text(f'#!/bin/sh\nSLURM_CONF="{root}/etc/slurm.conf" exec {_which("srun")} "$@"\n')
    shim.chmod(0o755)
    env["PATH"] = f"{root}/bin:" + env.get("PATH", "") + ":/usr/sbin:/sbin"
    return socket_path, env


def start_cluster(root: Path, timeout: float = 60) -> SlurmCluster:
    """Install (if needed) and start munged, slurmctld and slurmd; return when the node is idle."""
    install_daemons()
    if os.geteuid() != 0:
        raise ClusterUnavailable("the SLURM daemons run as root here (SlurmUser=root); not running as root")
    start = time.monotonic()
    node = socket.gethostname().split(".")[0]
    root.mkdir(parents=True, exist_ok=True)
    socket_path, env = _write_config(root, node)
    cluster = SlurmCluster(root=root, node=node, env=env)
    key = root / "munge" / "munge.key"
    subprocess.run([_which("mungekey"), "--create", f"--keyfile={key}"], check=True, capture_output=True)
    os.chmod(root / "munge", 0o700)
    try:
        log = lambda name: open(root / "log" / f"{name}.out", "w")  # noqa: E731
        # --force: munged refuses a socket folder below world-writable /tmp without it.
        cluster.processes["munged"] = subprocess.Popen(
            [_which("munged"), "--foreground", "--force", f"--socket={socket_path}", f"--key-file={key}",
             f"--pid-file={root}/run/munged.pid", f"--log-file={root}/log/munged.log",
             f"--seed-file={root}/munge/munged.seed"], stdout=log("munged"), stderr=subprocess.STDOUT)
        _wait("munged", socket_path.exists, cluster, timeout)
        cluster.processes["slurmctld"] = subprocess.Popen([_which("slurmctld"), "-D", "-i", "-f", str(cluster.conf)],
                                                          env=env, stdout=log("slurmctld"), stderr=subprocess.STDOUT)
        _wait("slurmctld", lambda: cluster.run("scontrol", "ping", check=False).returncode == 0, cluster, timeout)
        cluster.processes["slurmd"] = subprocess.Popen([_which("slurmd"), "-D", "-f", str(cluster.conf)], env=env,
                                                       stdout=log("slurmd"), stderr=subprocess.STDOUT)
        _wait("the node to be idle", lambda: cluster.node_state() == "idle", cluster, timeout)
    except BaseException:
        stop_cluster(cluster)
        raise
    cluster.started_in_s = time.monotonic() - start
    return cluster


def stop_cluster(cluster: SlurmCluster, timeout: float = 30) -> None:
    """Cancel every job, shut the controller and node daemon down, stop munged; kill what does not stop."""
    if "slurmctld" in cluster.processes and cluster.processes["slurmctld"].poll() is None:
        cluster.run("scancel", "--full", "--user", str(os.getuid()), check=False)
        cluster.run("scontrol", "shutdown", check=False)
    for name in ("slurmd", "slurmctld", "munged"):
        proc = cluster.processes.get(name)
        if proc is None:
            continue
        if name == "munged":
            proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
