"""Library code as part of a job's definition (relurepro.pipeline.code_version): the fingerprint follows every module a
script imports, directly or through others, and nothing else; every Python script rule carries it."""

from pathlib import Path

from conftest import REPO

from relurepro.pipeline.code_version import fingerprint, library_files


def make_tree(root: Path) -> Path:
    """A small package: a imports b inside a function (relatively), c is imported by nobody."""
    pkg = root / "relurepro"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "a.py").write_text("import os\n\ndef f():\n    from .b import g\n    return g()\n")
    (pkg / "sub" / "b.py").write_text("def g():\n    return 1\n")
    (pkg / "c.py").write_text("X = 1\n")
    script = root / "script.py"
    script.write_text("from relurepro.sub import a\nprint(a.f())\n")
    return pkg


def test_the_fingerprint_follows_transitive_imports_only(tmp_path):
    pkg = make_tree(tmp_path)
    script = tmp_path / "script.py"
    files = library_files(script, pkg)
    assert {p.relative_to(pkg).as_posix() for p in files} == {"__init__.py", "sub/__init__.py", "sub/a.py",
                                                             "sub/b.py"}
    before = fingerprint(script, pkg)
    (pkg / "c.py").write_text("X = 2\n")  # not imported: no rerun
    assert fingerprint(script, pkg) == before
    (pkg / "sub" / "b.py").write_text("def g():\n    return 2\n")  # imported through a: rerun
    assert fingerprint(script, pkg) != before


def test_every_python_script_rule_carries_its_library_fingerprint():
    from relurepro.cost.dag import load_dag

    dag = load_dag("smoke", "cpu", ["figures/constnet/all"], REPO)
    train = [j for j in dag.jobs.values() if j.rule == "cn_run"]
    assert train, "no constnet run in the smoke DAG"
    expected = fingerprint(REPO / "scripts" / "constnet" / "train.py")
    assert {j.params["library_code"] for j in train} == {expected}
    files = {p.name for p in library_files((REPO / "scripts" / "constnet" / "train.py").resolve())}
    assert {"models.py", "training.py", "jobs.py"} <= files
