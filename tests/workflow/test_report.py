"""The HTML report of a complete run, built offline and opened in a real headless browser (Debian's chromium): every
figure, the claims page and the executed notebooks are clicked open and must render. Screenshots are kept in
test-artifacts/ (or $REPORT_ARTIFACTS). The run is the suite's smoke run; to check a quick run of the checkout:
REPORT_RUN=. REPORT_SCALE=quick pytest tests/workflow/test_report.py"""

import os
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import REPO, snakemake
from relurepro import claims, manifest

ARTIFACTS = Path(os.environ.get("REPORT_ARTIFACTS", REPO / "test-artifacts"))


@pytest.fixture(scope="module")
def run_dir(request) -> Path:
    """The complete run whose report is checked: the suite's smoke run, or the one named by $REPORT_RUN (a
    directory where `figures/all` was built at the scale $REPORT_SCALE, e.g. a quick run of the checkout)."""
    given = os.environ.get("REPORT_RUN")
    return Path(given).resolve() if given else request.getfixturevalue("smoke_run")


@pytest.fixture(scope="module")
def report(run_dir):
    scale = os.environ.get("REPORT_SCALE", "smoke") if os.environ.get("REPORT_RUN") else "smoke"
    proc = snakemake(run_dir, "--report", "report.html", "figures/all", "--config", f"scale={scale}")
    assert "Report created" in proc.stdout + proc.stderr
    return run_dir / "report.html"


@pytest.fixture(scope="module")
def browser():
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        pytest.skip("chromium and chromedriver are not installed (tools/install_system.sh installs them as root)")
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000"):
        options.add_argument(arg)
    session = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver))
    yield session
    session.quit()


class Report:
    """Clicks through the Snakemake report's menu like a reader."""

    def __init__(self, browser, path: Path):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        self.browser, self.by, self.wait = browser, By, WebDriverWait(browser, 20)
        browser.get(path.as_uri())
        self.wait.until(lambda b: b.find_elements(By.XPATH, "//nav//a[normalize-space(.)='Workflow']"))

    def menu(self, text: str):
        link = self.wait.until(lambda b: b.find_elements(self.by.XPATH, f"//nav//a[normalize-space(.)='{text}']"))
        self.click(link[0])

    def click(self, element):
        # A script click, as a reader's: the report's sticky header may lie over a link at the top of the menu.
        self.browser.execute_script("arguments[0].click()", element)

    def rows(self) -> list[str]:
        """The names listed in the current result table of the menu."""
        self.wait.until(lambda b: b.find_elements(self.by.XPATH, "//nav//tr/td[1]"))
        return [td.text for td in self.browser.find_elements(self.by.XPATH, "//nav//tr/td[1]")]

    def view(self, name: str):
        """Click the eye button of result `name`; return the element showing it (img or iframe)."""
        row = self.browser.find_element(self.by.XPATH, f"//nav//tr[td[1][normalize-space(.)='{name}']]")
        self.click(row.find_element(self.by.CSS_SELECTOR, "a[iconname='eye']"))
        return self.wait.until(lambda b: (b.find_elements(self.by.XPATH, "//img[not(ancestor::nav)]")
                                          or b.find_elements(self.by.TAG_NAME, "iframe") or [None])[0])

    def open_list(self, category: str, subcategory: str | None = None):
        # The home menu lists the categories itself, or (when the report has only one) behind a "Results" link.
        if not self.browser.find_elements(self.by.XPATH, f"//nav//a[normalize-space(.)='{category}']"):
            self.menu("Results")
        self.menu(category)
        if subcategory is not None and self.browser.find_elements(
                self.by.XPATH, f"//nav//a[normalize-space(.)='{subcategory}']"):
            self.menu(subcategory)

    def screenshot(self, name: str):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.browser.save_screenshot(str(ARTIFACTS / name))


def rendered_width(browser, img) -> int:
    """The decoded image's width once loaded (0 = broken image)."""
    deadline = time.time() + 10
    while not browser.execute_script("return arguments[0].complete", img) and time.time() < deadline:
        time.sleep(0.1)
    return browser.execute_script("return arguments[0].naturalWidth", img)


def test_every_figure_of_the_manifest_renders_in_the_report(report, browser, run_dir):
    figures = {}
    for row in manifest.read(run_dir / "figures" / "all"):
        paper, fid = row["figure"].split("/")
        figures.setdefault(paper, set()).add(fid)
    for paper, expected in figures.items():
        page = Report(browser, report)
        page.open_list(paper, "figures")
        listed = page.rows()
        assert set(listed) == expected, f"{paper}: report lists {sorted(listed)}"
        for fid in listed:
            img = page.view(fid)
            assert img.tag_name == "img" and img.get_attribute("src").startswith("data:image/png")
            assert rendered_width(browser, img) > 100, f"{paper}/{fid} does not render"
            if fid == listed[-1]:
                page.screenshot(f"report_{paper}_{fid}.png")
            page.open_list(paper, "figures")  # back to the list (breadcrumb)


def test_claims_page_shows_every_claim_with_kind_source_origin_and_status(report, browser, run_dir):
    table = pd.read_csv(run_dir / "results" / "claims.csv", keep_default_na=False, dtype=str)
    assert set(table.paper) == {"relu_prime", "uniform_accuracy", "resnet_ode", "leaf", "constnet"}
    page = Report(browser, report)
    page.open_list("claims")
    frame = page.view(page.rows()[0])
    assert frame.tag_name == "iframe"
    page.screenshot("report_claims.png")
    browser.switch_to.frame(frame)
    try:
        rows = browser.find_elements(page.by.CSS_SELECTOR, "tr.claim")
        assert len(rows) == len(table)
        text = browser.find_element(page.by.TAG_NAME, "body").text
        assert claims.tally(table) in text
        for row, claim in zip(rows, table.itertuples()):
            cells = [td.text for td in row.find_elements(page.by.TAG_NAME, "td")]
            assert cells[:6] == [claim.id, claim.case, claim.figure, claim.kind, claim.statement, claim.source]
            assert cells[-2] == claim.origin and cells[-1].split(" (")[0] == claim.status
    finally:
        browser.switch_to.default_content()


def test_executed_notebooks_are_linked_and_render(report, browser, run_dir):
    notebooks = sorted(p.stem for p in (run_dir / "results" / "relu_prime" / "notebooks").glob("*.html"))
    assert "intro_weight_diff" in notebooks
    page = Report(browser, report)
    page.open_list("relu_prime", "executed notebooks")
    assert sorted(page.rows()) == notebooks
    frame = page.view(notebooks[0])
    assert frame.tag_name == "iframe"
    browser.switch_to.frame(frame)
    try:
        assert browser.find_elements(page.by.CSS_SELECTOR, ".jp-Cell, .cell"), "the notebook shows no cells"
    finally:
        browser.switch_to.default_content()
    page.screenshot("report_notebook.png")
