"""Scale loading, path helpers, wildcard constraints and device selection shared by every rule file."""

import shutil
from pathlib import Path

from snakemake.exceptions import WorkflowError

from relurepro.config import deviations_note, expose_library, load_scale

# Jobs import the library from this checkout, also inside --use-conda environments and on cluster nodes.
expose_library()

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
