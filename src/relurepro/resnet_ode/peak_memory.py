"""Peak memory of one forward + backward through MLP residual functions vs depth (§3.8): what the paper plots,
the peak over the whole training step, not only what autograd saves for backward.

Each (mode, depth) point runs in a fresh process, so no allocator history from an earlier point leaks into it:
- CUDA: the caching allocator's peak (`max_memory_allocated`) minus what was allocated after setup;
- CPU: the peak resident set (VmHWM, reset after setup through /proc/self/clear_refs) minus the RSS after setup.
  glibc's mmap threshold is pinned at 64 KiB, so every state-sized tensor is its own mapping and leaves RSS when
  freed; otherwise the heap keeps freed blocks and RSS stops following live tensors (§3.8: the numbers then
  depend on run order).
Setup (parameters, input) and a two-function warm-up (one-time kernel and thread-pool allocations) happen before
the baseline, so the peak is what the forward + backward itself adds: activations, transients, gradients.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import torch
from torch import nn

from relurepro.resnet_ode.adjoint import integrate, integrate_adjoint, saved_bytes

MIB = 2 ** 20
MMAP_THRESHOLD = 65536
RUNS = {"backprop": integrate, "adjoint": integrate_adjoint}


def mlp_residuals(n: int, d: int = 500, hidden: int = 8) -> nn.ModuleList:
    """N distinct residual functions Linear(d, hidden) -> Tanh -> Linear(hidden, d) (§2.6e)."""
    return nn.ModuleList([nn.Sequential(nn.Linear(d, hidden), nn.Tanh(), nn.Linear(hidden, d)) for _ in range(n)])


def state_bytes(d: int, batch: int) -> int:
    """One float32 state of the segment, d x batch."""
    return d * batch * 4


def gradient_bytes(d: int, hidden: int) -> int:
    """The float32 parameter gradients of one residual function (two weights, two biases)."""
    return (2 * d * hidden + d + hidden) * 4


def _status_bytes(key: str) -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key + ":"))


def measure(mode: str, depth: int, d: int, batch: int, hidden: int, seed: int, method: str = "euler",
            device: str = "cpu") -> dict:
    """One point, measured in this process (call it in a fresh one: see `peak_rows`)."""
    from relurepro import numerics

    numerics.setup(strict=True, deterministic=True, threads=1)
    torch.manual_seed(seed)
    dev = torch.device(device)
    functions = mlp_residuals(depth, d, hidden).to(dev)
    x = torch.rand(batch, d, device=dev)  # the original's input, rand(500, 500)
    run = RUNS[mode]
    run(functions[:2], x, method).square().mean().backward()
    functions.zero_grad(set_to_none=True)
    cuda = dev.type == "cuda"
    if cuda:
        torch.cuda.synchronize(dev)
        base = torch.cuda.memory_allocated(dev)
        torch.cuda.reset_peak_memory_stats(dev)
    else:
        base = _status_bytes("VmRSS")
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS
    saved, out = saved_bytes(lambda: run(functions, x, method))
    out.square().mean().backward()
    del out
    if cuda:
        torch.cuda.synchronize(dev)
        peak = torch.cuda.max_memory_allocated(dev)
    else:
        peak = _status_bytes("VmHWM")
    return {"depth": depth, "mode": mode, "method": method, "device": dev.type,
            "metric": "CUDA max_memory_allocated" if cuda else "peak RSS (VmHWM)",
            "peak_mib": (peak - base) / MIB, "baseline_mib": base / MIB, "saved_for_backward_mib": saved / MIB,
            "d": d, "batch": batch, "hidden": hidden}


def measure_in_fresh_process(**point) -> dict:
    """`measure` in a new interpreter running this package (the same source tree as the caller)."""
    src = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": str(MMAP_THRESHOLD), "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-m", __name__, json.dumps(point)], env=env, capture_output=True,
                          text=True)
    if done.returncode:
        raise RuntimeError(f"memory probe {point} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def peak_rows(depths: list[int], d: int = 500, batch: int = 500, hidden: int = 8, seed: int = 1,
              method: str = "euler", device: str = "cpu") -> list[dict]:
    """Peak memory above setup during one forward + backward, per depth and mode, one fresh process each."""
    if device == "cpu" and not Path("/proc/self/clear_refs").exists():
        raise RuntimeError("CPU peak memory needs Linux /proc (VmHWM and clear_refs)")
    return [measure_in_fresh_process(mode=mode, depth=n, d=d, batch=batch, hidden=hidden, seed=seed, method=method,
                                     device=device)
            for n in depths for mode in RUNS if not (method == "heun" and n < 2)]



def memory_schema():
    """memory.csv (rule ro_memory, `peak_rows`): one row per (depth, mode), both modes at every depth, one set-up
    per file, the metric its device's."""
    import pandera.pandas as pa

    size, mib = pa.Column(int, pa.Check.ge(1)), pa.Column(float, pa.Check.ge(0), coerce=True)
    shared = ["method", "device", "metric", "d", "batch", "hidden"]
    return pa.DataFrameSchema({
        "depth": pa.Column(int, pa.Check.ge(1)), "mode": pa.Column(str, pa.Check.isin(list(RUNS))),
        "method": pa.Column(str, pa.Check.isin(["euler", "heun"])),
        "device": pa.Column(str, pa.Check.isin(["cpu", "cuda"])),
        "metric": pa.Column(str, pa.Check.isin(["CUDA max_memory_allocated", "peak RSS (VmHWM)"])),
        "peak_mib": pa.Column(float, coerce=True),  # above the baseline: may round below 0 for a tiny net
        "baseline_mib": mib, "saved_for_backward_mib": mib, "d": size, "batch": size, "hidden": size,
    }, strict=True, ordered=True, unique=["depth", "mode"], checks=[
        pa.Check(lambda t: (t[shared].nunique() == 1).all(), error="one method, device and net per file"),
        pa.Check(lambda t: (t["device"] == "cuda") == (t["metric"] == "CUDA max_memory_allocated"),
                 error="the CUDA metric exactly on CUDA"),
        pa.Check(lambda t: t.groupby("depth")["mode"].transform("nunique") == len(RUNS),
                 error="every mode at every depth"),
    ])


def read_memory(path, rows: int | None = None):
    """memory.csv checked against `memory_schema` (a violation names the file and its lines)."""
    from relurepro import schemas

    return schemas.read(path, memory_schema(), rows=rows)


if __name__ == "__main__":
    print(json.dumps(measure(**json.loads(sys.argv[1]))))
