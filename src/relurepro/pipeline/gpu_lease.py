"""One GPU per job: a lock-file lease on a device, so N GPU jobs running side by side use N different GPUs.

Snakemake's `--resources gpu=N` bounds how many GPU jobs run at once; which device each one takes is decided here,
before torch initialises CUDA, by narrowing CUDA_VISIBLE_DEVICES to one leased device. The lease is an exclusive
`flock` on one file per device, held by an open file for the life of the process: the kernel releases it when the
process ends, however it ends (SIGKILL and out-of-memory kills included), so no device stays taken by a dead job.

Under SLURM the allocation decides: the candidates are the devices of the job's own CUDA_VISIBLE_DEVICES, leased in
a folder of that SLURM job, so jobs of other allocations on the same node never wait for each other.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Callable, MutableMapping

LOCK_DIR_ENV = "RELUREPRO_GPU_LOCK_DIR"  # where the lock files live (default: <system temp>/relurepro-gpu-locks)
_held: list[Lease] = []  # this process's leases: their open files are what keeps the locks


@dataclass
class Lease:
    """A device held by this process until release() or the process ends."""

    device: str  # an entry of CUDA_VISIBLE_DEVICES as the parent saw it: an index, a GPU- or MIG- UUID
    path: Path
    file: IO = field(repr=False)

    def release(self) -> None:
        self.file.close()  # closing the last descriptor drops the flock


def count_devices() -> int:
    """GPUs on this machine by `nvidia-smi -L` (which, unlike torch, does not initialise CUDA in this process)."""
    if shutil.which("nvidia-smi") is None:
        return 0
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=60, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(line.startswith("GPU ") for line in out.splitlines())


def candidate_devices(env: MutableMapping[str, str], count: int | None = None) -> list[str]:
    """The devices a job may take: those of CUDA_VISIBLE_DEVICES when it is set (a SLURM allocation, or the
    user's choice), otherwise every GPU of the machine."""
    visible = env.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [d.strip() for d in visible.split(",") if d.strip()]
    return [str(i) for i in range(count_devices() if count is None else count)]


def lock_dir(env: MutableMapping[str, str]) -> Path:
    """The folder of lock files: one per machine, and below it one per SLURM job (its devices are its own)."""
    base = Path(env.get(LOCK_DIR_ENV) or Path(tempfile.gettempdir()) / "relurepro-gpu-locks")
    job = env.get("SLURM_JOB_ID")
    return base / (f"slurm-{job}" if job else "local")


def _lock_path(directory: Path, device: str) -> Path:
    return directory / ("gpu-" + re.sub(r"[^A-Za-z0-9_.-]", "_", device) + ".lock")


def _make_shared_dir(directory: Path) -> None:
    # Several users may run jobs on one machine: the folders are writable by all, like /tmp.
    for d in reversed([directory, *directory.parents][:2]):
        if not d.exists():
            d.mkdir(parents=True, exist_ok=True)
            try:
                d.chmod(0o1777)
            except OSError:
                pass


def try_lease(device: str, directory: Path) -> Lease | None:
    """Lock `device`'s file without waiting; None when another process holds it."""
    _make_shared_dir(directory)
    path = _lock_path(directory, device)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    file = os.fdopen(fd, "r+")
    try:
        fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        file.close()
        return None
    file.truncate(0)  # who holds it, for a person looking at the folder
    file.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
    file.flush()
    return Lease(device=device, path=path, file=file)


def acquire(devices: list[str], directory: Path, *, timeout: float | None = None, poll_s: float = 1.0,
            sleep: Callable[[float], None] = time.sleep) -> Lease:
    """The first free device of `devices`, waiting for one to be released when all are taken."""
    if not devices:
        raise ValueError("no GPU to lease")
    deadline = None if timeout is None else time.monotonic() + timeout
    waited = False
    while True:
        for device in devices:
            lease = try_lease(device, directory)
            if lease is not None:
                return lease
        if deadline is not None and time.monotonic() >= deadline:
            raise TimeoutError(f"every GPU of {devices} stayed leased for {timeout} s (locks in {directory})")
        if not waited:
            logging.info("all GPUs %s are leased by other jobs (locks in %s); waiting for one", devices, directory)
            waited = True
        sleep(poll_s)


def lease_for_job(env: MutableMapping[str, str] | None = None, *, count: int | None = None,
                  timeout: float | None = None) -> Lease | None:
    """Lease one GPU for this process and narrow CUDA_VISIBLE_DEVICES in `env` (default: os.environ) to it, so
    torch, initialised later, sees only that device. None when there is no GPU to take. Call it before anything
    initialises CUDA; the lease lasts as long as the process (or until release())."""
    env = os.environ if env is None else env
    devices = candidate_devices(env, count)
    if not devices:
        return None
    lease = acquire(devices, lock_dir(env), timeout=timeout)
    env["CUDA_VISIBLE_DEVICES"] = lease.device
    _held.append(lease)
    return lease
