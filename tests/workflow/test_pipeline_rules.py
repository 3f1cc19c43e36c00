"""What the rule files share (relurepro.pipeline.rules): the figure registry, the figures a scale does not compute
and the papermill command."""

import math
import os
import sys

import pytest

from conftest import REPO
from relurepro.pipeline.config import expose_tools, load_scale, read_yaml
from relurepro.pipeline.rules import FigureRegistry, not_computed, papermill_shell

CAPTIONS = {"leaf": {"b": "shows b", "a": "shows a", "c": "shows c"}, "constnet": {"x": "shows x"}}


def test_registry_keeps_the_captions_order_whatever_the_registration_order():
    first, second = FigureRegistry(CAPTIONS, ("leaf", "constnet")), FigureRegistry(CAPTIONS, ("leaf", "constnet"))
    for fid in ("a", "c", "b"):
        first.register("leaf", fid, [f"dev {fid}"])
    for fid in ("c", "b", "a"):
        second.register("leaf", fid, [f"dev {fid}"])
    first.freeze(), second.freeze()
    assert list(first.figures("leaf").items()) == list(second.figures("leaf").items()) == [
        ("b", ["dev b"]), ("a", ["dev a"]), ("c", ["dev c"])]
    assert first.figures("constnet") == {} and first.deviations("leaf", "a") == ["dev a"]


def test_registry_refuses_unknown_papers_duplicates_missing_captions_and_late_figures():
    registry = FigureRegistry(CAPTIONS, ("leaf", "constnet"))
    with pytest.raises(ValueError, match="unknown paper"):
        registry.register("nope", "a", [])
    registry.register("leaf", "a", [])
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("leaf", "a", [])
    registry.register("constnet", "y", [])
    with pytest.raises(ValueError, match=r"no caption for constnet figures \['y'\]"):
        registry.freeze()
    ok = FigureRegistry(CAPTIONS, ("leaf",))
    ok.freeze()
    with pytest.raises(RuntimeError, match="after the registry was frozen"):
        ok.register("leaf", "a", [])


def test_not_computed_figures_of_a_scale():
    sc = {"leaf": {"nets": ["lenet5"], "not_computed_reason": "CPU scale"}, "resnet_ode": {"imagenet": None}}
    assert not_computed(sc) == {
        "leaf/table_lin_un_kerasnet": "kerasnet is not trained at this scale (CPU scale)",
        "leaf/table_bou_fn_kerasnet": "kerasnet is not trained at this scale (CPU scale)",
        "resnet_ode/tied_imagenet": "the tied ResNet on ImageNet-1k needs about 84 GPU-hours (H100 class, strict "
                                    "fp32) and the ImageNet archive (paper scale only)"}
    assert not_computed({"leaf": {"nets": ["lenet5", "kerasnet"]}, "resnet_ode": {"imagenet": {"epochs": 1}}}) == {}


def test_the_tied_imagenet_page_quotes_the_cost_model():
    """The hours on the page are the paper run's steps at the step time config/cost_model.yaml holds (measured by
    tools/gpu_check), so a new measurement that moves them fails here until the page follows."""
    tied = load_scale(REPO / "config" / "scales" / "paper.yaml")["resnet_ode"]["imagenet"]["tied"]
    model = read_yaml((REPO / "config" / "cost_model.yaml").read_text())
    steps = tied["epochs"] * math.ceil(model["datasets"]["imagenet"]["train"] / tied["batch"])
    hours = steps * model["rules"]["ro_imagenet_run"]["options"]["h100_step_s"]["tied"] / 3600
    page = not_computed({"leaf": {"nets": ["lenet5", "kerasnet"]}, "resnet_ode": {"imagenet": None}})
    assert f"about {round(hours)} GPU-hours" in page["resnet_ode/tied_imagenet"]


def test_papermill_shell_runs_the_notebook_strips_it_and_exports_html():
    cmd = papermill_shell("-p pdf {output.pdf:q}")
    assert "papermill {input.notebook} {output.notebook} -k python3 --log-output -p pdf {output.pdf:q}" in cmd
    assert "relurepro.strip_notebook {output.notebook:q}" in cmd and cmd.endswith("> {log} 2>&1")
    assert cmd.startswith("(papermill ") and "{params" not in cmd


def test_papermill_shell_is_the_same_wherever_the_venv_lies(monkeypatch):
    """The command is part of a rule's code: a path of this machine in it would rerun every notebook from a venv
    elsewhere. The venv's tools reach the jobs through PATH, appended once."""
    commands = set()
    for venv in ("/opt/a/.venv", "/home/b/.venv"):
        monkeypatch.setattr(sys, "executable", f"{venv}/bin/python")
        monkeypatch.setenv("PATH", "/usr/bin:/bin")
        commands.add(papermill_shell("-p pdf {output.pdf:q}"))
        expose_tools()
        expose_tools()
        assert os.environ["PATH"] == f"/usr/bin:/bin:{venv}/bin"
    assert len(commands) == 1 and "venv" not in commands.pop()
