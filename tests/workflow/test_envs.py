"""--use-conda cannot run offline here, so the conda environments are validated statically."""

import re

import pytest
import yaml

from conftest import REPO

RULE = re.compile(r"^rule (\w+):\n((?:[ \t]+.*\n|\n)*)", re.M)


def rules():
    for smk in sorted((REPO / "workflow").glob("*.smk")):
        for match in RULE.finditer(smk.read_text()):
            yield smk, match[1], match[2]


def requirement_pins():
    pins = {}
    for line in (REPO / "requirements.txt").read_text().splitlines():
        if "==" in line:
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


def test_every_job_rule_names_an_existing_pinned_env():
    checked = 0
    for smk, name, body in rules():
        if not re.search(r"^\s+(script|shell|notebook):", body, re.M):
            continue
        env = re.search(r"^\s+conda:\s*\n\s+\"([^\"]+)\"", body, re.M)
        assert env, f"rule {name} ({smk.name}) has no conda: environment"
        path = (smk.parent / env[1]).resolve()
        assert path.exists(), f"rule {name}: {env[1]} does not exist"
        checked += 1
    assert checked >= 5


@pytest.mark.parametrize("env", sorted(p.name for p in (REPO / "envs").glob("*.yaml")))
def test_env_pins_are_exact_and_match_requirements(env):
    spec = yaml.safe_load((REPO / "envs" / env).read_text())
    assert "nodefaults" in spec["channels"]
    pins = requirement_pins()
    for dep in spec["dependencies"]:
        if isinstance(dep, dict):
            for req in dep["pip"]:
                name, version = req.split("==")
                assert pins.get(name.lower()) == version, f"{env}: {req} differs from requirements.txt"
        else:
            assert re.fullmatch(r"[\w.-]+=[\w.]+", dep), f"{env}: {dep!r} is not pinned with ="
