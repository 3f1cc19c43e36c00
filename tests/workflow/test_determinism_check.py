"""tools/determinism_check end to end: two rounds of uniform_accuracy's smoke jobs (teachers, then students), each a
real Snakemake run in its own folder, write the same files; a folder to keep the rounds in must be new. Its
comparison is tools/compare_results' (tests/workflow/test_compare_results.py)."""

import subprocess
import sys

import pytest

from conftest import CLEAN_ENV, REPO

TOOL = str(REPO / "tools" / "determinism_check")


@pytest.mark.slow
def test_two_rounds_of_real_jobs_write_the_same_files(tmp_path):
    done = subprocess.run([sys.executable, TOOL, "--rules", "ua_train", "--device", "cpu", "--keep",
                           str(tmp_path / "rounds")], capture_output=True, text=True, env=CLEAN_ENV, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 files compared; 0 differ" in done.stdout
    for k in (1, 2):
        assert (tmp_path / "rounds" / f"round{k}" / "results" / "uniform_accuracy" / "teachers" / "d~1").is_dir()
    again = subprocess.run([sys.executable, TOOL, "--rules", "ua_train", "--keep", str(tmp_path / "rounds")],
                           capture_output=True, text=True, env=CLEAN_ENV, timeout=600)
    assert again.returncode != 0 and "exists: give a new folder" in again.stderr
