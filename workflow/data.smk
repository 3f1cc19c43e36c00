"""Datasets: embedded sets need nothing; official archives are downloaded, verified and parsed here (the rules that
read a dataset wait for its stamp through dataset_ready, workflow/common.smk)."""

from pathlib import Path

from relurepro import archives

# Relative catalog paths are taken from the workflow folder, so `--directory` elsewhere still finds it.
DATASETS_CATALOG = str(Path(workflow.basedir) / config["datasets_catalog"])
OFFICIAL = sorted(archives.load_catalog(DATASETS_CATALOG))


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
    # on the submit host: compute nodes often have no internet access
    localrule: True
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
