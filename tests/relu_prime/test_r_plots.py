"""The R plotting functions, called from pytest through rpy2."""

from pathlib import Path

import pandas as pd
import pytest

from conftest import REPO

robjects = pytest.importorskip("rpy2.robjects")
from rpy2.robjects import pandas2ri  # noqa: E402
from rpy2.robjects.conversion import localconverter  # noqa: E402
from rpy2.rinterface_lib.embedded import RRuntimeError  # noqa: E402

robjects.r["source"](str(REPO / "scripts" / "relu_prime" / "volume_mnist.R"))


def to_r(df: pd.DataFrame):
    with localconverter(robjects.default_converter + pandas2ri.converter):
        return robjects.conversion.py2rpy(df)


def volume_table():
    rows = []
    for panel, xs in (("layers", [1, 3]), ("sample_size", [0.5, 1.0]), ("neurons", [16, 64]), ("batch", [64])):
        for x in xs:
            for bits, value in ((16, 100.0), (32, 40.0), (64, 0.5)):
                rows.append({"panel": panel, "x": x, "bits": bits, "display": value})
    return pd.DataFrame(rows)


def test_panels_keep_the_original_facet_order_and_labels():
    prepared = robjects.r["prepare_volume"](to_r(volume_table()))
    levels = list(robjects.r["levels"](prepared.rx2("panel")))
    assert levels == ["Sample size (1000s)", "Number of neurons", "Number of layers", "Batch size"]
    assert list(robjects.r["levels"](prepared.rx2("precision"))) == ["16", "32", "64"]


def test_plot_has_bars_facets_and_the_paper_colours(tmp_path):
    plot = robjects.r["volume_mnist_plot"](to_r(volume_table()), "scale: test")
    built = robjects.r["ggplot_build"](plot)
    data = built.rx2("data")[0]
    fills = set(data.rx2("fill"))
    assert fills == {"#3274a1", "#e1812c", "#3a923a"}
    assert len(data.rx2("y")) == len(volume_table())
    assert sorted(set(data.rx2("PANEL"))) == [1, 2, 3, 4]  # a factor: its integer codes
    pdf = tmp_path / "v.pdf"
    robjects.r["ggsave"](str(pdf), plot, width=8, height=2.4)
    assert Path(pdf).read_bytes()[:4] == b"%PDF"


def test_the_neurons_panel_marks_the_exact_zero_rate():
    table = volume_table().assign(zero_percent=lambda t: t["display"] / 2 + 7.0)
    built = robjects.r["ggplot_build"](robjects.r["volume_mnist_plot"](to_r(table), ""))
    points = built.rx2("data")[1]
    # One point per neurons-panel bar, at its zero rate, in the neurons facet only (panel 2).
    neurons = table[table.panel == "neurons"]
    assert sorted(points.rx2("y")) == sorted(neurons["zero_percent"])
    assert set(points.rx2("PANEL")) == {2}


def test_a_table_without_the_schema_is_an_error():
    with pytest.raises(RRuntimeError, match="lacks columns: display"):
        robjects.r["prepare_volume"](to_r(volume_table().drop(columns="display")))
    bad = volume_table()
    bad.loc[0, "panel"] = "depth"
    with pytest.raises(RRuntimeError, match="unknown panels: depth"):
        robjects.r["prepare_volume"](to_r(bad))
