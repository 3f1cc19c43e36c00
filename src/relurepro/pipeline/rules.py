"""What the rule files share (workflow/common.smk makes the instances): the figure registry every paper's rule file
registers its figures in and workflow/report.smk reads, the figures a scale does not compute (one generic rule draws
their "not computed" page) and the shell command of a papermill figure rule.

Rule files are included in a fixed order but must not depend on it: a rule file defines what it uses before using
it and reads no other rule file's globals; what several need lives here or in common.smk. The registry keeps each
paper's figures in the order of workflow/report/captions.yaml, not in registration order, so the manifests do not
depend on include order either.
"""

from __future__ import annotations

PAPERS = ("relu_prime", "uniform_accuracy", "resnet_ode", "leaf", "constnet")


class FigureRegistry:
    """paper -> figure id -> labelled deviations of every figure of the chosen scale.

    Rule files call `register` while the workflow is parsed; `freeze` (the Snakefile, after every include) checks
    that each figure has a caption and closes the registry; `figures` and `deviations` are read at DAG time.
    """

    def __init__(self, captions: dict[str, dict[str, str]], papers: tuple[str, ...] = PAPERS):
        self.captions = captions
        self._figures: dict[str, dict[str, list[str]]] = {paper: {} for paper in papers}
        self._frozen = False

    @property
    def papers(self) -> tuple[str, ...]:
        return tuple(self._figures)

    def register(self, paper: str, figure_id: str, deviations: list[str]) -> None:
        """Add one figure of `paper` with its labelled deviations (figures/<paper>/<figure_id>.pdf)."""
        if self._frozen:
            raise RuntimeError(f"figure {paper}/{figure_id} registered after the registry was frozen")
        if paper not in self._figures:
            raise ValueError(f"figure {paper}/{figure_id}: unknown paper (one of {', '.join(self._figures)})")
        if figure_id in self._figures[paper]:
            raise ValueError(f"figure {paper}/{figure_id} registered twice")
        self._figures[paper][figure_id] = deviations

    def freeze(self) -> None:
        """Every registered figure needs a caption (workflow/report/captions.yaml); no registration after this."""
        for paper, figures in self._figures.items():
            missing = sorted(set(figures) - set(self.captions.get(paper, {})))
            if missing:
                raise ValueError(f"workflow/report/captions.yaml has no caption for {paper} figures {missing}")
        self._frozen = True

    def figures(self, paper: str) -> dict[str, list[str]]:
        """The paper's figure ids -> deviations, in captions.yaml order."""
        order = {fid: i for i, fid in enumerate(self.captions.get(paper, {}))}
        figures = self._figures[paper]
        return {fid: figures[fid] for fid in sorted(figures, key=lambda f: (order.get(f, len(order)), f))}

    def deviations(self, paper: str, figure_id: str) -> list[str]:
        return self._figures[paper][figure_id]

    def as_dict(self) -> dict[str, dict[str, list[str]]]:
        return {paper: self.figures(paper) for paper in self._figures}


def not_computed(sc: dict) -> dict[str, str]:
    """'<paper>/<figure id>' -> why the scale `sc` does not compute that figure (the generic not_computed rule
    draws a page that says so): leaf's tables of a network the scale does not train, and resnet_ode's tied
    ImageNet panel below paper scale (no `imagenet` block). relu_prime's imagenet_resnet50 notebook draws its own.
    """
    out = {}
    leaf = sc["leaf"]
    for group in ("lin_un", "bou_fn"):
        for net in ("lenet5", "kerasnet"):
            if net not in leaf["nets"]:
                out[f"leaf/table_{group}_{net}"] = (
                    f"{net} is not trained at this scale ({leaf['not_computed_reason']})")
    if sc["resnet_ode"]["imagenet"] is None:
        out["resnet_ode/tied_imagenet"] = (
            "the tied ResNet on ImageNet-1k needs about 84 GPU-hours (H100 class, strict fp32) and the ImageNet "
            "archive (paper scale only)")
    return out


def papermill_shell(parameters: str) -> str:
    """The shell command of a papermill figure rule (input.notebook -> output.notebook, log): execute with
    `parameters` (papermill -p options), strip the run's times and random cell id from the executed notebook (a
    rerun is byte-identical), then export its HTML.

    papermill/jupyter: the conda env's with --use-conda, else the ones on PATH (the workflow appends the project
    venv's: relurepro.pipeline.config.expose_tools). The command names no path of this machine: it is part of the
    rule's code, and a venv elsewhere would otherwise rerun every notebook."""
    return (
        f"(papermill {{input.notebook}} {{output.notebook}} -k python3"
        f" --log-output {parameters}"
        " && python -m relurepro.strip_notebook {output.notebook:q}"
        " && jupyter nbconvert --to html {output.notebook:q}) > {log} 2>&1"
    )


def base_rule(name: str) -> str:
    """The rule a job runs: a pack rule `<rule>__<pack>` (several runs of `<rule>` one after another in one job,
    e.g. leaf_train__lenet5_fmnist_1of8) counts as `<rule>`."""
    return name.split("__", 1)[0]


def loader_threads(workers: int, scale: str) -> int:
    """The cores a job with `workers` data-loader workers reserves: its worker count, except at the rehearsal,
    where one batch of miniature data keeps such a job on about one core (benchmark cpu_time / wall 0.6-1.2 for
    the ImageNet and CIFAR-ResNet jobs), so reserving more left a core idle beside it. The ImageNet loaders still
    start the paper's workers (the CIFAR ResNets read in-memory tensors and have none)."""
    return 1 if scale == "rehearsal" else workers
