"""relu-repro: every table and figure of five papers on the numerics of ReLU networks.

snakemake --cores 2 figures/all                    # every figure, default (quick) scale
snakemake --cores 2 figures/relu_prime/volume_mnist.pdf
snakemake -n figures/all --config scale=paper      # list the paper-scale jobs
"""

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


# `--config mirror=` hands over null, not "": for the keys whose unset value is empty, null means that default.
for _key, _empty in {
    "mirror": "",
    "imagenet_dir": "",
    "allow_redirect_hosts": [],
}.items():
    if _key in config and config[_key] is None:
        config[_key] = _empty


validate(config, "config/schema.yaml")


# Where a rule runs is stated by the rule: under a cluster executor the light steps (aggregation, tables, figures,
# claims, manifests, downloads) say `localrule: True` and run on the submit host; every other rule is a compute rule
# with a benchmark and a work model in the cost estimate (relurepro.cost.work, tests/workflow/test_workflow.py checks both).


# The first rule is the default target.
rule all:
    """Every figure of every paper and the top manifest."""
    input:
        "figures/all",
    localrule: True


include: "workflow/common.smk"
include: "workflow/data.smk"
include: "workflow/relu_prime.smk"
include: "workflow/relu_prime_intro.smk"
include: "workflow/relu_prime_intro_extra.smk"
include: "workflow/relu_prime_appendix.smk"
include: "workflow/relu_prime_volume_cnn.smk"
include: "workflow/relu_prime_training.smk"
include: "workflow/uniform_accuracy.smk"
include: "workflow/resnet_ode.smk"
include: "workflow/leaf.smk"
include: "workflow/constnet.smk"
include: "workflow/report.smk"


# Every rule file has registered its figures (register_figure, workflow/common.smk): each needs a caption.
FIGURES.freeze()


# Library code is part of what a job runs: every script rule carries a hash of the relurepro modules its script
# imports (directly or not) as the param `library_code`, so a change there reruns exactly the jobs that run it.
from relurepro.pipeline.code_version import fingerprint

for _rule in workflow.rules:
    if _rule.script and _rule.script.endswith(".py"):
        _rule.set_params(
            library_code=fingerprint(
                _rule.basedir.join(_rule.script).get_path_or_uri(secret_free=True)
            )
        )
