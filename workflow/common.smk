"""Scale loading, path helpers, wildcard constraints, device selection and the papermill command shared by every
rule file."""

import shutil
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError

from relurepro.pipeline.config import deviations_note, expose_library, load_scale
from relurepro.reproducible import pin_source_date

# Jobs import the library from this checkout, also inside --use-conda environments and on cluster nodes.
expose_library()
# Outputs are reproducible files: every job inherits SOURCE_DATE_EPOCH, so matplotlib writes no build time
# (R's PDFs: scripts/reproducible.R; executed notebooks: papermill_shell).
pin_source_date()

SCALE = config["scale"]
# The grids of the chosen scale, validated before any job: a wrong key or type stops the run here.
SCALE_FILE = Path(workflow.basedir) / "config" / "scales" / f"{SCALE}.yaml"
SC = load_scale(SCALE_FILE)
# Snakemake's own message says "config file" and names none: the error names the scale file.
try:
    validate(SC, "../config/scales.schema.yaml")
except WorkflowError as err:
    raise WorkflowError(
        f"scale file {SCALE_FILE} does not match config/scales.schema.yaml", err
    ) from None

# GPU rules ask for resources gpu=1 only when training will run on CUDA.
USE_GPU = config["device"] == "cuda" or (
    config["device"] == "auto" and shutil.which("nvidia-smi") is not None
)
GPU = 1 if USE_GPU else 0


wildcard_constraints:
    bits="16|32|64",
    layers=r"\d+(-\d+)*",  # one depth, or nested depths of one volume_mnist job ("1-2-3")
    neurons=r"\d+",
    batch=r"\d+",
    runs=r"\d+",
    samples=r"\d+",
    dataset=r"[a-z0-9_]+",
    split="train|test|extra|all",


# papermill/jupyter: the conda env's with --use-conda, else the ones beside the Python running Snakemake
# (the project venv, also when it is not activated): that folder is appended to PATH as a fallback.
FALLBACK_BIN = str(Path(sys.executable).parent)


def papermill_shell(parameters):
    """The shell command of a papermill figure rule (input.notebook -> output.notebook, params.fallback_bin,
    log): execute with `parameters` (papermill -p options), strip the run's times and random cell id from the
    executed notebook (a rerun is byte-identical), then export its HTML."""
    return (
        "export PATH=$PATH:{params.fallback_bin:q}; (papermill {input.notebook} {output.notebook} -k python3"
        f" --log-output {parameters}"
        " && python -m relurepro.strip_notebook {output.notebook:q}"
        " && jupyter nbconvert --to html {output.notebook:q}) > {log} 2>&1"
    )
