"""Datasets: embedded sets need nothing; official archives are downloaded, verified and parsed here."""

from functools import partial
from pathlib import Path

from relurepro import archives

# Relative catalog paths are taken from the workflow folder, so `--directory` elsewhere still finds it.
DATASETS_CATALOG = str(Path(workflow.basedir) / config["datasets_catalog"])
OFFICIAL = sorted(archives.load_catalog(DATASETS_CATALOG))

# dataset_ready(name): what a rule reading dataset `name` needs first (nothing for embedded sets, the
# verified.json stamp else). A partial, not a def: the lint wants functions out of rule files.
dataset_ready = partial(archives.dataset_ready, data_root=config["data_root"])


localrules:
    download_dataset,


rule download_dataset:
    """Fetch an official dataset's archives (from `mirror` when set), check size and
    MD5 against the catalog and unpack them as torchvision expects; verified.json is
    written last, only when every file checked out."""
    input:
        catalog=DATASETS_CATALOG,
    output:
        f"{config['data_root']}/{{name}}/verified.json",
    log:
        "logs/data/download_{name}.log",
    wildcard_constraints:
        name="|".join(OFFICIAL),
    conda:
        "../envs/torch.yaml"
    resources:
        mem_mb=1000,
        runtime=120,
    params:
        root=lambda w, output: str(Path(output[0]).parent.parent),
        mirror=config["mirror"],
        allow_redirect_hosts=config["allow_redirect_hosts"],
    script:
        "../scripts/data/download.py"
