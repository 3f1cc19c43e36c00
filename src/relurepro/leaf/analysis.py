"""What the leaf figures and tables read from a run: its summary (best test accuracy, 1-based epoch, mean epoch
time), the statistics of its learned activation parameters, sampled learned shapes, and the numerical check of
every initialisation against its base function."""

from __future__ import annotations

import pandas as pd
import torch

from relurepro.leaf.activations import AHAF, BASE_ACTIVATIONS, LEAF, LEAF_INITS, AHAF_INITS, silu

SHAPE_X = torch.arange(-10.0, 4.0, 0.1)  # the original's asymmetric range, 140 points


def summarize(stat: pd.DataFrame) -> dict:
    """Best accuracy = max over epochs of test accuracy in % (first maximum on ties), its epoch 1-based, mean epoch
    duration rounded to 0.01 s, last training loss, whether the run diverged."""
    acc = stat.test_acc * 100
    finite = acc.notna().any()
    best = int(acc.idxmax()) if finite else None
    return {"best_acc": float(acc.max()) if finite else float("nan"),
            "best_epoch": int(stat.epoch[best]) + 1 if finite else -1,
            "it_time": round(float(stat.duration.mean()), 2), "final_loss": float(stat.train_loss_mean.iloc[-1]),
            "diverged": bool(stat.diverged.astype(bool).any())}


def _aaf_layers(net) -> list[tuple[str, torch.nn.Module]]:
    return [(name, m) for name, m in net.activation_layers() if isinstance(m, (AHAF, LEAF))]


def parameter_stats(net) -> list[dict]:
    """Per activation layer and parameter: mean, spread, quantiles and the share of neurons with |value| > 0.1
    (for p1 of a Tanh/Sigmoid start: how far the shape drifted towards SiLU)."""
    rows = []
    for layer, module in _aaf_layers(net):
        for pname, p in module.named_parameters():
            v = p.detach().flatten().double()
            q = torch.quantile(v, torch.tensor([0.05, 0.5, 0.95], dtype=torch.float64))
            rows.append({"layer": layer, "param": pname, "mean": float(v.mean()), "std": float(v.std()),
                         "min": float(v.min()), "q05": float(q[0]), "median": float(q[1]), "q95": float(q[2]),
                         "max": float(v.max()), "frac_abs_gt_0.1": float((v.abs() > 0.1).double().mean())})
    return rows


def shape_samples(net, base_af: str, rows: int = 5, cols: int = 5, seed: int = 128) -> list[dict]:
    """The learned function of `cols` random neurons in each of the last min(`rows`, layers) activation layers,
    and the base function, on [-10, 4) step 0.1. Neurons: flat positions from torch.randint after
    torch.manual_seed(seed), drawn in row order (the original's choice)."""
    layers = _aaf_layers(net)[-rows:]
    torch.manual_seed(seed)
    out = []
    x = SHAPE_X
    base = BASE_ACTIVATIONS[base_af](x)
    for row, (layer, module) in enumerate(layers):
        params = [p.detach().flatten() for p in module.parameters()]
        for col in range(cols):
            pos = int(torch.randint(params[0].numel(), (1,)))
            values = [float(p[pos]) for p in params]
            if isinstance(module, AHAF):
                gamma, beta = values
                y = beta * x * torch.sigmoid(gamma * x)
            else:
                p1, p2, p3, p4 = values
                y = (p1 * x + p2) * torch.sigmoid(p3 * x) + p4
            out += [{"row": row, "layer": layer, "col": col, "position": pos, "x": float(a), "learned": float(b),
                     "base": float(c)} for a, b, c in zip(x, y, base)]
    return out


def _handwritten_tanh(x):
    return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))


def af_diff_pairs() -> dict[str, tuple]:
    """name -> (reference function, approximation) of the numerical check (§3.13; the fuzzy F-neuron pair of
    the original is not built: that activation is not used by the paper)."""
    pairs = {"silu_handwritten_vs_torch": (torch.nn.functional.silu, silu),
             "tanh_handwritten_vs_torch": (torch.tanh, _handwritten_tanh)}
    for init in ("ReLU", "SiLU"):
        pairs[f"ahaf_as_{init.lower()}"] = (BASE_ACTIVATIONS[init], ("ahaf", init))
    for init in ("ReLU", "SiLU", "Tanh", "Sigmoid"):
        pairs[f"leaf_as_{init.lower()}"] = (BASE_ACTIVATIONS[init], ("leaf", init))
    return pairs


def af_diff(dtype: torch.dtype, device: str = "cpu", n: int = 100_001) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per pair: min and max squared error over n points on [-15, 15]; the curves thinned for plotting)."""
    x = torch.linspace(-15, 15, n, dtype=dtype, device=device)
    summary, curves = [], []
    for name, (ref, approx) in af_diff_pairs().items():
        if isinstance(approx, tuple):
            kind, init = approx
            module = (AHAF if kind == "ahaf" else LEAF)((1,), init).to(device=device, dtype=dtype)
            assert init in (AHAF_INITS if kind == "ahaf" else LEAF_INITS)
            with torch.no_grad():
                y = module(x[:, None])[:, 0]
        else:
            y = approx(x)
        err = (ref(x) - y) ** 2
        summary.append({"pair": name, "dtype": str(dtype).replace("torch.", ""), "device": device,
                        "min": float(err.min()), "max": float(err.max())})
        keep = slice(None, None, max(1, n // 2000))
        curves += [{"pair": name, "dtype": summary[-1]["dtype"], "x": float(a), "error": float(e)}
                   for a, e in zip(x[keep].cpu(), err[keep].cpu())]
    return pd.DataFrame(summary), pd.DataFrame(curves)


def af_diff_schema():
    """af_diff.csv (rule leaf_af_diff): per (device, dtype) grid one row for each pair of `af_diff_pairs`, squared
    errors min <= max; float16 only on CUDA (relurepro.schemas)."""
    import pandera.pandas as pa

    pairs = list(af_diff_pairs())
    error = pa.Column(float, pa.Check.ge(0), coerce=True)
    return pa.DataFrameSchema({
        "pair": pa.Column(str, pa.Check.isin(pairs)),
        "dtype": pa.Column(str, pa.Check.isin(["float16", "float32", "float64"])),
        "device": pa.Column(str, pa.Check.isin(["cpu", "cuda"])), "min": error, "max": error,
    }, strict=True, ordered=True, unique=["pair", "dtype", "device"], checks=[
        pa.Check(lambda d: d["min"] <= d["max"], error="min <= max"),
        pa.Check(lambda d: (d["device"] == "cuda") | (d["dtype"] != "float16"), error="float16 only on CUDA"),
        pa.Check(lambda d: d.groupby(["device", "dtype"])["pair"].transform("size") == len(pairs),
                 error=f"all {len(pairs)} pairs in every (device, dtype) grid"),
    ])


def read_af_diff(path) -> pd.DataFrame:
    """af_diff.csv checked against `af_diff_schema`: the CPU float32 and float64 grids, and CUDA's three or none
    (the job adds them exactly when it has a GPU)."""
    from relurepro import schemas

    df = schemas.read(path, af_diff_schema())
    grids = len(df) // len(af_diff_pairs())
    if grids not in (2, 5) or not {("cpu", "float32"), ("cpu", "float64")} <= set(zip(df["device"], df["dtype"])):
        raise ValueError(f"{path}: {grids} (device, dtype) grids, the job writes the CPU float32 and float64 ones "
                         "and, with a GPU, CUDA's float16, float32 and float64")
    return df
