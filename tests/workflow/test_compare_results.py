"""tools/compare_results, which backs the "no behaviour change" check of a refactor: it must report a changed
cell, a missing file and a changed header, and leave out only the wall-clock columns."""

import importlib.machinery
import importlib.util
from pathlib import Path

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
