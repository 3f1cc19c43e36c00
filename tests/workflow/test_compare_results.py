"""tools/compare_results (relurepro.pipeline.results_diff), which backs the "no behaviour change" check of a refactor
and tools/determinism_check: it must report a changed cell, a missing file and a changed header, a one-ulp change
in a tensor, an array or any other file, and leave out only the process measurements and TensorBoard logs."""

import importlib.machinery
import importlib.util
import subprocess
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]


def _tool():
    loader = importlib.machinery.SourceFileLoader("compare_results", str(ROOT / "tools" / "compare_results"))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_identical_but_for_wall_clock(tmp_path):
    tool = _tool()
    a = _tree(tmp_path / "a", {"p/x.csv": "epoch,loss,seconds\n1,0.5,3.2\n"})
    b = _tree(tmp_path / "b", {"p/x.csv": "epoch,loss,seconds\n1,0.5,9.9\n"})
    assert tool.differences(a, b) == []
    assert tool.main([str(a), str(b)]) == 0
    # as README runs it: the file itself, by its #! line
    run = subprocess.run([str(ROOT / "tools" / "compare_results"), str(a), str(b)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert tool.differences(a, b, ignore=()) == ["p/x.csv: row 1, column seconds: '3.2' vs '9.9'"]


def test_reports_each_kind_of_difference(tmp_path):
    tool = _tool()
    a = _tree(tmp_path / "a", {"cell.csv": "n,rate\n1,0.25\n2,0.5\n", "gone.csv": "a\n1\n", "head.csv": "a,b\n1,2\n",
                               "rows.csv": "a\n1\n2\n"})
    b = _tree(tmp_path / "b", {"cell.csv": "n,rate\n1,0.25\n2,0.50000001\n", "new.csv": "a\n1\n",
                               "head.csv": "a,c\n1,2\n", "rows.csv": "a\n1\n"})
    assert tool.differences(a, b) == [
        "cell.csv: row 2, column rate: '0.5' vs '0.50000001'",
        "gone.csv: only in before",
        "head.csv: columns differ: ['a', 'b'] vs ['a', 'c']",
        "new.csv: only in after",
        "rows.csv: 2 rows vs 1",
    ]
    assert tool.main([str(a), str(b)]) == 1


def test_a_one_ulp_change_is_found_in_tensors_arrays_and_other_files(tmp_path):
    tool = _tool()
    near = float(np.nextafter(0.1, 1.0))
    for root, value in (("a", 0.1), ("b", near)):
        (tmp_path / root / "run").mkdir(parents=True)
        torch.save({"state": {"w": torch.tensor([value, float("nan")], dtype=torch.float64)}, "rows": [1]},
                   tmp_path / root / "run" / "model.pt")
        np.savez(tmp_path / root / "run" / "plots.npz", x=np.array([np.nan, value]))
        (tmp_path / root / "run" / "teachers.json").write_text(repr(value))
        (tmp_path / root / "run" / "same.pt").write_bytes((tmp_path / "a" / "run" / "model.pt").read_bytes())
    assert tool.differences(tmp_path / "a", tmp_path / "b") == [
        "run/model.pt: tensors differ", "run/plots.npz: arrays differ", "run/teachers.json: bytes differ"]
    assert tool.differences(tmp_path / "a", tmp_path / "a") == []  # NaN equals NaN, in tensors and arrays


def test_process_measurements_and_tensorboard_logs_are_left_out(tmp_path):
    tool = _tool()
    a = _tree(tmp_path / "a", {"m.csv": "depth,peak_mib,baseline_mib\n1,4.6,623.3\n", "tensorboard/events.1": "a"})
    b = _tree(tmp_path / "b", {"m.csv": "depth,peak_mib,baseline_mib\n1,5.1,650.0\n", "tensorboard/events.2": "b"})
    assert tool.differences(a, b) == []
    assert tool.differences(a, b, ignore=()) == ["m.csv: row 1, column peak_mib: '4.6' vs '5.1'"]
