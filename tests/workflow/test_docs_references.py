"""Every code cited in a comment, docstring or string resolves to a heading of docs/, and nothing points outside
the repository. Pure Python (no torch), reads the tracked text files only.

The citation form (docs/design.md, "Citing the docs"):
- a section is ``§`` + its number: ``§5.3.5``, ``§2``; a tagged code is its letter and number, bare or after
  ``§``: ``S25`` (switch), ``P10`` (protocol or pitfall), ``B4`` (original-code bug), ``§C3`` (claim);
- the paper is the paper's name right before the code (``relu_prime §5.3.5``), else the last paper named earlier
  on the same line, else the file's own paper: a path component or file-name prefix (``src/relurepro/leaf/``,
  ``workflow/relu_prime_appendix.smk``, ``tests/resnet_ode/test_resnet_ode_adjoint.py``), or in a YAML file under config/ the
  paper block it sits in;
- the code resolves when a heading (``#`` .. ``######``) of ``docs/<paper>.md`` carries it as a word.
Bare ``C<n>`` (claim ids are data in CSVs, and ``C0`` is a matplotlib colour) count only after ``§``; ``S01`` is
relu_prime's bifurcation set S₀₁, not a switch; in the bifurcation-zone code P1 and P2 are the two random
directions (relu_prime §3.3), not protocols (NOT_CITATIONS).
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAPERS = ("relu_prime", "uniform_accuracy", "resnet_ode", "leaf", "constnet")
FOLDERS = ("src", "scripts", "workflow", "Snakefile", "config", "notebooks", "tests", "bench", "tools")
TEXT_SUFFIXES = {".py", ".smk", ".yaml", ".yml", ".R", ".r", ".ipynb", ".rst", ".sh", ".md", ".txt", ".toml", ""}
THIS = Path(__file__).resolve()

PAPER_RE = "|".join(PAPERS)
# A citation: an optional paper name, then `§` + a section number or a tagged code, or a bare S/P/B code,
# or the legacy form `spec <number>` (reported as an error: it named a file that is not in the repository).
CITATION = re.compile(
    rf"(?:\b(?P<paper>{PAPER_RE})\s+)?"
    r"(?:(?P<legacy>\bspecs?\s+§?\d+(?:\.\d+)*)"
    r"|§\s?(?P<code>[SPBC]\d+|\d+(?:\.\d+)*)"
    r"|(?<![#\w])(?P<bare>[SPB][1-9]\d*)\b)")
PAPER_WORD = re.compile(rf"\b({PAPER_RE})\b")
HEADING = re.compile(r"^#{1,6}\s+(.*)$")
OUTSIDE = re.compile(r"\.\./shared|shared/specs|DESIGN\.md")


def tracked(paths=FOLDERS) -> list[Path]:
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *paths],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout.split("\n")
    files = [ROOT / p for p in out if p]
    # config/reference/*.csv: the `source` column of the reference values cites the docs too.
    return sorted(f for f in files if f.is_file() and f != THIS and (f.suffix in TEXT_SUFFIXES or (
        f.suffix == ".csv" and f.relative_to(ROOT).parts[0] == "config")))


def headings(paper: str) -> set[str]:
    """The codes the headings of docs/<paper>.md carry: every word-like token of every heading."""
    page = ROOT / "docs" / f"{paper}.md"
    if not page.exists():
        return set()
    codes = set()
    for line in page.read_text(encoding="utf-8").splitlines():
        m = HEADING.match(line)
        if m:
            codes.update(re.findall(r"(?<![\w.])[A-Z]?\d+(?:\.\d+)*(?!\w)", m.group(1)))
    return codes


def file_paper(rel: Path) -> str | None:
    """The paper a file belongs to by its path: a folder named after it or a file name starting with it."""
    for part in rel.parts[:-1]:
        if part in PAPERS:
            return part
    stem = rel.name.removeprefix("test_").removeprefix("bench_")
    for p in PAPERS:
        if stem.startswith(p):
            return p
    return None


# (file name, token): symbols that look like codes but are not citations.
NOT_CITATIONS = {("intro.py", "P1"), ("intro.py", "P2"), ("intro_tables.py", "P1"), ("intro_tables.py", "P2")}

YAML_BLOCK = re.compile(rf"^ {{0,2}}({PAPER_RE}):")


def citations(path: Path, text: str | None = None):
    """(line number, code, paper or None, legacy text or None) for every citation in one file."""
    rel = path.relative_to(ROOT) if path.is_absolute() else path
    text = path.read_text(encoding="utf-8", errors="replace") if text is None else text
    own = file_paper(rel)
    yaml_block = None
    in_config_yaml = rel.parts[0] == "config" and rel.suffix in (".yaml", ".yml")
    for n, line in enumerate(text.splitlines(), 1):
        if in_config_yaml and (m := YAML_BLOCK.match(line)):
            yaml_block = m.group(1)
        for m in CITATION.finditer(line):
            code = m.group("code") or m.group("bare")
            if m.group("bare") and (rel.name, code) in NOT_CITATIONS:
                continue
            paper = m.group("paper")
            if paper is None:
                before = PAPER_WORD.findall(line[:m.start()])
                paper = before[-1] if before else (yaml_block if in_config_yaml and yaml_block else own)
            yield n, code, paper, m.group("legacy")


def problems(files=None) -> list[str]:
    files = tracked() if files is None else files
    cache: dict[str, set[str]] = {}
    bad = []
    for f in files:
        rel = f.relative_to(ROOT)
        for n, code, paper, legacy in citations(f):
            where = f"{rel}:{n}"
            if legacy:
                bad.append(f"{where}: '{legacy}' cites a spec outside the repository; write {paper or '<paper>'} "
                           f"§<section>, a heading of docs/{paper or '<paper>'}.md")
            elif paper is None:
                bad.append(f"{where}: {code} does not say its paper (write '<paper> §{code}')")
            elif code not in cache.setdefault(paper, headings(paper)):
                bad.append(f"{where}: {code} is no heading of docs/{paper}.md")
    return bad


def outside_pointers(files=None) -> list[str]:
    files = tracked((".",)) if files is None else files
    bad = []
    for f in files:
        rel = f.relative_to(ROOT) if f.is_relative_to(ROOT) else f
        if rel.parts[0] == "docs":
            continue
        for n, line in enumerate(f.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                bad.append(f"{rel}:{n}: points outside the repository: {line.strip()[:120]}")
    return bad


def test_every_citation_resolves_to_a_docs_heading():
    bad = problems()
    assert not bad, "unresolved citations:\n" + "\n".join(bad)


def test_nothing_points_outside_the_repository():
    bad = outside_pointers()
    assert not bad, "\n".join(bad)


def test_docs_pages_exist_and_the_index_lists_them():
    index = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    for page in ("design", *PAPERS):
        assert (ROOT / "docs" / f"{page}.md").exists(), page
        assert f"{page}.md" in index, page


def test_the_checker_catches_broken_citations(tmp_path):
    """A deliberately broken citation of each kind is reported with its file and line."""
    src = ROOT / "src" / "relurepro" / "leaf" / "_broken_example.py"
    text = ('"""ok: §2.2, relu_prime §5.3.5 and S25 (relu_prime)."""\n'
            "# broken: §9.99 of leaf\n"
            "x = 1  # spec 2.2 (legacy form)\n"
            "# resnet_ode B99\n")
    found = [(n, code, paper, legacy) for n, code, paper, legacy in citations(src, text)]
    assert (1, "2.2", "leaf", None) in found and (1, "5.3.5", "relu_prime", None) in found
    assert (1, "S25", "relu_prime", None) in found
    assert (2, "9.99", "leaf", None) in found
    assert any(n == 3 and legacy for n, _, _, legacy in found)
    assert (4, "B99", "resnet_ode", None) in found
    assert "9.99" not in headings("leaf") and "B99" not in headings("resnet_ode")
    assert "2.2" in headings("leaf") and "5.3.5" in headings("relu_prime") and "S25" in headings("relu_prime")
    # A core module must name the paper.
    core = ROOT / "src" / "relurepro" / "_core_example.py"
    assert [p for _, _, p, _ in citations(core, "# §5.3.5\n")] == [None]
    # A config block names it.
    cfg = ROOT / "config" / "scales" / "_example.yaml"
    assert [p for _, _, p, _ in citations(cfg, "leaf:\n  x: 1  # §5.2\nconstnet:\n  y: 2  # §5.2\n")] == \
        ["leaf", "constnet"]
    # Colours and ids are not citations.
    assert list(citations(src, 'color="#B22222"; run="S01x"; "C0"; in S01; C3\n')) == []
    readme = tmp_path / "README.md"
    readme.write_text("intro\nThe design is in `../shared/DESIGN.md`; the specs in `../shared/specs/`.\n")
    assert [b.split(": ")[0] for b in outside_pointers([readme])] == [f"{readme}:2"]
