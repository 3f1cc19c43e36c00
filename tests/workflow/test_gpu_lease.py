"""The GPU lease: N jobs side by side take N different devices, a dead job's device is free again at once, and a
SLURM allocation's devices are the only candidates."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from relurepro.pipeline import gpu_lease

# A job that leases one of `count` GPUs, says which, and holds it until killed.
HOLDER = textwrap.dedent("""
    import os, sys, time
    from relurepro.pipeline import gpu_lease
    lease = gpu_lease.lease_for_job(count=int(sys.argv[1]))
    print(os.environ["CUDA_VISIBLE_DEVICES"], lease.device, flush=True)
    time.sleep(600)
""")


def start_holder(tmp_path, count: int, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, gpu_lease.LOCK_DIR_ENV: str(tmp_path / "locks"), **(env or {})}
    env.pop("SLURM_JOB_ID", None)
    env.pop("CUDA_VISIBLE_DEVICES", None)
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(count)], env=env, stdout=subprocess.PIPE, text=True)
    visible, device = proc.stdout.readline().split()
    assert visible == device
    return proc, device


def stop(*procs):
    for proc in procs:
        proc.kill()
        proc.wait()


def test_concurrent_jobs_take_different_devices(tmp_path):
    holders = [start_holder(tmp_path, 3) for _ in range(3)]
    try:
        assert sorted(device for _, device in holders) == ["0", "1", "2"]
    finally:
        stop(*(proc for proc, _ in holders))


def test_a_killed_job_frees_its_device_at_once(tmp_path):
    first, device = start_holder(tmp_path, 1)
    directory = gpu_lease.lock_dir({gpu_lease.LOCK_DIR_ENV: str(tmp_path / "locks")})
    try:
        assert gpu_lease.try_lease(device, directory) is None  # held by the other process
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    lease = gpu_lease.try_lease(device, directory)  # no stale lock left by the SIGKILL
    assert lease is not None
    lease.release()


def test_a_job_waits_for_a_device_and_can_time_out(tmp_path):
    directory = tmp_path / "locks"
    held = gpu_lease.acquire(["0"], directory)
    with pytest.raises(TimeoutError, match="stayed leased"):
        gpu_lease.acquire(["0"], directory, timeout=0.3, poll_s=0.05)
    slept = []

    def release_while_waiting(seconds):
        slept.append(seconds)
        held.release()

    lease = gpu_lease.acquire(["0"], directory, sleep=release_while_waiting)
    assert lease.device == "0" and slept == [1.0]
    lease.release()


def test_within_one_process_each_lease_is_exclusive(tmp_path):
    a = gpu_lease.acquire(["0", "1"], tmp_path)
    b = gpu_lease.acquire(["0", "1"], tmp_path)
    assert {a.device, b.device} == {"0", "1"}
    assert gpu_lease.try_lease("0", tmp_path) is None and gpu_lease.try_lease("1", tmp_path) is None
    a.release()
    again = gpu_lease.try_lease(a.device, tmp_path)
    assert again is not None
    again.release()
    b.release()


def test_a_slurm_allocation_leases_only_its_own_devices(tmp_path):
    env = {gpu_lease.LOCK_DIR_ENV: str(tmp_path), "SLURM_JOB_ID": "4242", "CUDA_VISIBLE_DEVICES": "2,3"}
    lease = gpu_lease.lease_for_job(env, count=8)
    try:
        assert lease.device == "2" and env["CUDA_VISIBLE_DEVICES"] == "2"
        assert lease.path.parent == tmp_path / "slurm-4242"
    finally:
        lease.release()
    # Another allocation on the same node has its own folder: it never waits for this one's locks.
    assert gpu_lease.lock_dir({**env, "SLURM_JOB_ID": "4243"}) != lease.path.parent


def test_uuids_are_leased_by_name(tmp_path):
    env = {gpu_lease.LOCK_DIR_ENV: str(tmp_path), "CUDA_VISIBLE_DEVICES": "GPU-8f2e/x,MIG-1"}
    lease = gpu_lease.lease_for_job(env)
    try:
        assert lease.device == "GPU-8f2e/x" and "/" not in lease.path.name
    finally:
        lease.release()


@pytest.mark.parametrize("env", [{}, {"CUDA_VISIBLE_DEVICES": ""}])
def test_no_gpu_means_no_lease(tmp_path, env):
    env = {gpu_lease.LOCK_DIR_ENV: str(tmp_path), **env}
    before = dict(env)
    assert gpu_lease.lease_for_job(env, count=0) is None
    assert env == before


def test_the_lock_file_names_its_holder(tmp_path):
    lease = gpu_lease.acquire(["0"], tmp_path)
    try:
        assert lease.path.read_text().startswith(f"pid {os.getpid()} since {time.strftime('%Y-')}")
    finally:
        lease.release()
