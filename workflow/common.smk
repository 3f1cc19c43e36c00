"""What every rule file shares: the scale, wildcard constraints, device selection, the dataset stamp a rule waits
for, the figure registry (register_figure; workflow/report.smk reads it), the papermill command and the one rule
that draws the page of a figure the scale does not compute. Rule files read no other rule file's globals, only
these, so their include order does not matter (tests/workflow/test_workflow.py checks it).
"""

import re
import shutil
from functools import partial
from pathlib import Path

from snakemake.exceptions import WorkflowError

from relurepro import archives
from relurepro.pipeline.config import (
    deviations_note,
    expose_library,
    expose_tools,
    load_scale,
    read_yaml,
)
from relurepro.pipeline.rules import (
    PAPERS,
    FigureRegistry,
    loader_threads,
    not_computed,
    papermill_shell,
)
from relurepro.reproducible import pin_source_date

# Jobs import the library from this checkout, also inside --use-conda environments and on cluster nodes.
expose_library()
# Shell rules find the project venv's papermill and jupyter without the venv activated.
expose_tools()
# Outputs are reproducible files: every job inherits SOURCE_DATE_EPOCH, so matplotlib writes no build time
# (R's PDFs: scripts/reproducible.R; executed notebooks: papermill_shell).
pin_source_date()

SCALE = config["scale"]
# GPU rules ask for resources gpu=1 only when training will run on CUDA.
USE_GPU = config["device"] == "cuda" or (
    config["device"] == "auto" and shutil.which("nvidia-smi") is not None
)
GPU = 1 if USE_GPU else 0
# The grids of the chosen scale, validated before any job: a wrong key or type stops the run here.
SCALE_FILE = Path(workflow.basedir) / "config" / "scales" / f"{SCALE}.yaml"
SC = load_scale(SCALE_FILE, gpu=USE_GPU)
# Snakemake's own message says "config file" and names none: the error names the scale file.
try:
    validate(SC, "../config/scales.schema.yaml")
except WorkflowError as err:
    raise WorkflowError(
        f"scale file {SCALE_FILE} does not match config/scales.schema.yaml", err
    ) from None


# Global constraints apply to every rule, but to a rule's benchmark and log paths only when set before the rule is
# defined: a wildcard name the rules of several rule files use is constrained here, and a rule file's own global
# constraints name only wildcards of its own rules (else its include order would matter).
wildcard_constraints:
    seed=r"\d+",  # resnet_ode, leaf and constnet runs
    bits="16|32|64",
    layers=r"\d+(-\d+)*",  # one depth, or nested depths of one volume_mnist job ("1-2-3")
    neurons=r"\d+",
    batch=r"\d+",
    runs=r"\d+",
    samples=r"\d+",
    dataset=r"[a-z0-9_]+",
    split="train|test|extra|all",


# dataset_ready(name): what a rule reading dataset `name` needs first (nothing for embedded sets, the verified.json
# stamp of workflow/data.smk's download else). A partial, not a def: the lint wants functions out of rule files.
dataset_ready = partial(archives.dataset_ready, data_root=config["data_root"])
# job_threads(workers): the cores a job with data-loader workers reserves (relurepro.pipeline.rules.loader_threads).
job_threads = partial(loader_threads, scale=SCALE)

# Every figure of the scale, registered by its paper's rule file: register_figure(paper, figure id, deviations).
# What each figure shows, for its report caption; a figure without one stops the run (FIGURES.freeze, Snakefile).
with open(Path(workflow.basedir) / "workflow" / "report" / "captions.yaml") as f:
    FIGURES = FigureRegistry(read_yaml(f), PAPERS)
register_figure = FIGURES.register

# '<paper>/<figure id>' -> why this scale does not compute it: rule not_computed draws that figure's page.
NOT_COMPUTED = not_computed(SC)


rule not_computed:
    """A figure this scale does not compute (relurepro.pipeline.rules.not_computed): a page that says so and why,
    no data."""
    output:
        pdf="figures/{missing_figure}.pdf",
        png="figures/{missing_figure}.png",
    log:
        "logs/{missing_figure}.log",
    wildcard_constraints:
        missing_figure="|".join(map(re.escape, NOT_COMPUTED)) or "(?!x)x",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        title=lambda w: w.missing_figure,
        reason=lambda w: NOT_COMPUTED[w.missing_figure],
        note=lambda w: deviations_note(
            SCALE, FIGURES.deviations(*w.missing_figure.split("/"))
        ),
    script:
        "../scripts/not_computed.py"
