"""Official-archive download, verification and parsing, against small archives in the official formats served
from a local HTTP mirror (offline)."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from archive_fixtures import N, build_mirror, serve
from relurepro import archives
from relurepro.data import load_dataset
from relurepro.miniature import CIFAR_BATCHES, labels

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    """(base URL, mirror folder, catalog) of a local mirror holding every small archive."""
    folder = tmp_path_factory.mktemp("mirror")
    catalog = build_mirror(folder)
    with serve(folder) as url:
        yield url, folder, catalog


def leftovers(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_real_catalog_matches_torchvision():
    """config/datasets.yaml carries torchvision's MD5s for the same filenames, and its layout."""
    from torchvision import datasets

    cat = archives.load_catalog()
    assert sorted(cat) == ["cifar10", "fashion_mnist", "mnist", "svhn"]
    md5 = lambda name: {f["filename"]: f["md5"] for f in cat[name]["files"]}  # noqa: E731
    assert md5("mnist") == dict(datasets.MNIST.resources)
    assert md5("fashion_mnist") == dict(datasets.FashionMNIST.resources)
    assert md5("cifar10") == {datasets.CIFAR10.filename: datasets.CIFAR10.tgz_md5}
    assert md5("svhn") == {fn: m for _, fn, m in datasets.SVHN.split_list.values()}
    assert cat["cifar10"]["base_urls"][0] + "cifar-10-python.tar.gz" == datasets.CIFAR10.url
    for name in cat:
        assert hasattr(datasets, cat[name]["torchvision"])
        assert all(f["bytes"] > 0 for f in cat[name]["files"])


def test_mirror_rule():
    entry = {"base_urls": ["https://a/x/", "http://b/"]}
    assert archives.file_urls("mnist", entry, "f.gz") == ["https://a/x/f.gz", "http://b/f.gz"]
    assert archives.file_urls("mnist", entry, "f.gz", "http://m/data/") == ["http://m/data/mnist/f.gz"]


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_mnist_like(mirror, tmp_path, name):
    url, _, catalog = mirror
    stamp = archives.download(name, tmp_path, mirror=url, catalog=catalog)
    assert stamp == tmp_path / name / "verified.json"
    info = json.loads(stamp.read_text())
    assert info["splits"] == ["train", "test"] and len(info["files"]) == 4
    assert all(f["url"].startswith(f"{url}/{name}/") for f in info["files"])
    # torchvision's own layout: <root>/<Class>/raw/ with the .gz and the unpacked IDX files
    assert (tmp_path / name / info["torchvision"] / "raw" / "train-images-idx3-ubyte").is_file()
    for split, n, offset in (("train", N["train"], 0), ("test", N["test"], 3)):
        d = load_dataset(name, split, tmp_path)
        assert d.x.shape == (n, 1, 28, 28) and d.x.dtype == torch.float32 and d.y.dtype == torch.int64
        assert torch.equal(d.y, torch.from_numpy(labels(n, offset)))
        # pixel (0, label) is the only lit one: checks orientation and the [0, 1] scaling
        assert torch.equal(d.x[torch.arange(n), 0, 0, d.y], torch.ones(n)) and d.x.sum() == n
    assert len(load_dataset(name, "all", tmp_path)) == N["train"] + N["test"]


def test_cifar10(mirror, tmp_path):
    url, _, catalog = mirror
    archives.download("cifar10", tmp_path, mirror=url, catalog=catalog)
    assert sorted(p.name for p in (tmp_path / "cifar10" / "cifar-10-batches-py").iterdir()) == sorted(
        CIFAR_BATCHES + ["batches.meta"])
    per_batch = N["train"] // 5
    train = load_dataset("cifar10", "train", tmp_path)
    assert train.x.shape == (5 * per_batch, 3, 32, 32)
    want = np.concatenate([labels(per_batch, k) for k in range(5)])
    assert torch.equal(train.y, torch.from_numpy(want))
    # channel order R, G, B survives the (N, 3072) -> NCHW reshaping
    assert torch.allclose(train.x[:, 0, 5, 7], train.y.float() * 20 / 255)
    assert torch.allclose(train.x[:, 1:, 3, 3], torch.tensor([100 / 255, 200 / 255]).expand(len(train), 2))
    test = load_dataset("cifar10", "test", tmp_path)
    assert torch.equal(test.y, torch.from_numpy(labels(per_batch, 5)))


def test_svhn_splits(mirror, tmp_path):
    url, _, catalog = mirror
    archives.download("svhn", tmp_path, mirror=url, catalog=catalog, splits=["train", "test"])
    assert not (tmp_path / "svhn" / "extra_32x32.mat").exists()  # 1.3 GB for real: only on request
    for i, split in enumerate(("train", "test")):
        d = load_dataset("svhn", split, tmp_path)
        assert d.x.shape == (N[split], 3, 32, 32)
        assert torch.equal(d.y, torch.from_numpy(labels(N[split], i)))  # label 10 read back as digit 0
        assert torch.allclose(d.x[:, 0, 31, 0], d.y.float() * 20 / 255)
    with pytest.raises(ValueError, match="extra"):
        load_dataset("svhn", "extra", tmp_path)
    archives.download("svhn", tmp_path, mirror=url, catalog=catalog)  # train/test kept, extra added
    assert len(load_dataset("svhn", "extra", tmp_path)) == N["extra"]


@pytest.mark.parametrize("damage, with_sizes, error", [
    ("flip", True, r"checksum mismatch for mnist/train-labels-idx1-ubyte.gz: expected [0-9a-f]{32} got [0-9a-f]{32}"),
    ("truncate", True, r"size mismatch for mnist/train-labels-idx1-ubyte.gz: expected \d+ bytes got \d+"),
    ("truncate", False, r"checksum mismatch for mnist/train-labels-idx1-ubyte.gz"),
])
def test_damaged_archive_leaves_nothing(tmp_path, damage, with_sizes, error):
    folder = tmp_path / "mirror"
    catalog = build_mirror(folder, with_sizes=with_sizes)
    bad = folder / "mnist" / "train-labels-idx1-ubyte.gz"
    data = bytearray(bad.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0x01
    else:
        data = data[: len(data) - 7]
    bad.write_bytes(bytes(data))
    root = tmp_path / "data"
    with serve(folder) as url, pytest.raises(archives.ChecksumError, match=error):
        archives.download("mnist", root, mirror=url, catalog=catalog)
    raw = root / "mnist" / "MNIST" / "raw"
    assert not (raw / "train-labels-idx1-ubyte.gz").exists()
    assert not (root / "mnist" / "verified.json").exists()
    # the file before it in the catalog was fine and stays; no temporaries are left behind
    assert leftovers(root) == ["mnist/MNIST/raw/train-images-idx3-ubyte", "mnist/MNIST/raw/train-images-idx3-ubyte.gz"]
    with pytest.raises(FileNotFoundError, match="verified.json is missing"):
        load_dataset("mnist", "train", root)


def test_dropped_connection(mirror, tmp_path):
    """The server announces the full length but sends half: a truncated download, nothing kept."""
    url, _, catalog = mirror
    with pytest.raises(archives.DownloadError, match="truncated download of cifar10/cifar-10-python.tar.gz"):
        archives.download("cifar10", tmp_path, mirror=url + "/lie", catalog=catalog)
    assert leftovers(tmp_path) == []


def test_failed_redownload_removes_stale_stamp(tmp_path):
    folder = tmp_path / "mirror"
    catalog = build_mirror(folder)
    root = tmp_path / "data"
    with serve(folder) as url:
        stamp = archives.download("mnist", root, mirror=url, catalog=catalog)
        again = archives.download("mnist", root, mirror=url + "/gone", catalog=catalog)  # all present: no fetch
        assert again == stamp and all(f["url"] is None for f in json.loads(stamp.read_text())["files"])
        (root / "mnist" / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz").unlink()
        with pytest.raises(OSError, match="404"):
            archives.download("mnist", root, mirror=url + "/gone", catalog=catalog)
    assert not stamp.exists()


def test_unknown_names(tmp_path, mirror):
    _, _, catalog = mirror
    with pytest.raises(ValueError, match="unknown official dataset 'imagenet'"):
        archives.download("imagenet", tmp_path, catalog=catalog)
    with pytest.raises(ValueError, match=r"no split\(s\) \['extra'\]"):
        archives.download("mnist", tmp_path, catalog=catalog, splits=["extra"])


def _imagenet_tree(root: Path, classes, val_classes=None, empty=()):
    for part, names in (("train", classes), ("val", classes if val_classes is None else val_classes)):
        for c in names:
            (root / part / c).mkdir(parents=True)
            if c not in empty:
                (root / part / c / "img.JPEG").write_bytes(b"\xff\xd8")


def test_check_imagenet(tmp_path):
    classes = [f"n{i:08d}" for i in range(5)]
    _imagenet_tree(tmp_path / "ok", classes)
    assert archives.check_imagenet(tmp_path / "ok", n_classes=5) == {"train": 5, "val": 5}
    with pytest.raises(ValueError, match="has 5 class folders, expected 1000"):
        archives.check_imagenet(tmp_path / "ok")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        archives.check_imagenet(tmp_path / "nowhere", n_classes=5)
    (tmp_path / "noval" / "train").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="no val/ subfolder"):
        archives.check_imagenet(tmp_path / "noval", n_classes=5)
    _imagenet_tree(tmp_path / "short", classes, val_classes=classes[:3])
    with pytest.raises(ValueError, match=r"missing from val/: \['n00000003', 'n00000004'\]"):
        archives.check_imagenet(tmp_path / "short", n_classes=5)
    _imagenet_tree(tmp_path / "empty", classes, empty=classes[1:2])
    with pytest.raises(ValueError, match="1 empty class folder"):
        archives.check_imagenet(tmp_path / "empty", n_classes=5)


@pytest.mark.workflow
def test_snakemake_rule(tmp_path):
    """Rule download_dataset end to end: mirror, catalog and allowed redirect hosts from --config, run in a scratch
    working folder; the mirror redirects to another host (port), which the config allows."""
    folder = tmp_path / "mirror"
    catalog_path = tmp_path / "catalog.yaml"
    catalog_path.write_text(yaml.safe_dump(build_mirror(folder)))
    snakemake = Path(sys.executable).with_name("snakemake")
    stamp = tmp_path / "data" / "mnist" / "verified.json"
    with serve(folder) as url, serve(folder) as other:
        run = subprocess.run(
            [str(snakemake), "--snakefile", str(REPO / "Snakefile"), "--directory", str(tmp_path), "--cores", "1",
             "--configfile", str(REPO / "config" / "config.yaml"),
             "--config", f"data_root={tmp_path / 'data'}", f"mirror={url}/to/{other.rsplit(':', 1)[1]}",
             f"datasets_catalog={catalog_path}", f"allow_redirect_hosts=[{other}]",
             "--", str(stamp)],
            capture_output=True, text=True, timeout=300)
    log = tmp_path / "logs" / "data" / "download_mnist.log"
    detail = run.stdout + run.stderr + (log.read_text() if log.exists() else "")
    assert run.returncode == 0, detail
    assert json.loads(stamp.read_text())["dataset"] == "mnist"
    assert "verified" in log.read_text() and f"(redirected to {other}/mnist/" in log.read_text()
    assert len(load_dataset("mnist", "train", tmp_path / "data")) == N["train"]


# --- issue #20: file modes, redirects, confinement -------------------------------------------------------------

@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_downloaded_files_follow_the_umask(mirror, tmp_path, mask):
    """A shared data_root must be readable by others: files get 0666 & ~umask, as open() gives, not mkstemp's
    0600 (downloads, gunzipped IDX files, the stamp); a tarball's members their stored mode (0644 here) & ~umask,
    as tar gives; folders 0777 & ~umask."""
    url, _, catalog = mirror
    old = os.umask(mask)
    try:
        for name in ("mnist", "cifar10"):
            archives.download(name, tmp_path, mirror=url, catalog=catalog)
    finally:
        os.umask(old)
    modes = {str(p.relative_to(tmp_path)): stat.S_IMODE(p.stat().st_mode) for p in tmp_path.rglob("*")}
    assert len(modes) > 15 and "mnist/verified.json" in modes and "cifar10/cifar-10-batches-py/test_batch" in modes

    def want(path):
        if (tmp_path / path).is_dir():
            return 0o777 & ~mask
        return (0o644 if "cifar-10-batches-py/" in path else 0o666) & ~mask

    assert {p: oct(m) for p, m in modes.items() if m != want(p)} == {}


def test_origin_is_scheme_host_and_port():
    assert archives.origin("http://127.0.0.1:8000/x") == "http://127.0.0.1:8000"
    assert archives.origin("HTTPS://Example.org/a?b") == "https://example.org:443"
    assert archives.origin("http://example.org/") == archives.origin("http://example.org:80/y")
    allowed = archives._redirect_allowed
    assert allowed("http://a:1/x", "http://a:1/y", [])
    assert not allowed("http://a:1/x", "http://a:2/x", [])  # same name, another port: another host
    assert not allowed("http://a/x", "http://b/x", [])
    assert allowed("http://a/x", "http://b/x", ["http://b"]) and allowed("http://a/x", "http://b/x", ["*"])
    assert allowed("http://a/x", "https://a/x", [])  # the TLS upgrade of the same host
    assert not allowed("http://a/x", "https://b/x", []) and not allowed("http://a:8080/x", "https://a/x", [])


def test_cross_host_redirect_is_refused_unless_allowed(tmp_path, capfd):
    """A 127.0.0.1 server redirecting to 127.0.0.1 on another port is a cross-host redirect: refused by default,
    with both URLs named; followed when the target host is allowed, and the log names the final URL."""
    folder = tmp_path / "mirror"
    catalog = build_mirror(folder)
    root = tmp_path / "data"
    with serve(folder) as first, serve(folder) as second:
        port = second.rsplit(":", 1)[1]
        hop = f"{first}/to/{port}"
        start = f"{hop}/mnist/train-images-idx3-ubyte.gz"
        target = f"{second}/mnist/train-images-idx3-ubyte.gz"
        with pytest.raises(archives.RedirectError) as err:
            archives.download("mnist", root, mirror=hop, catalog=catalog)
        assert start in str(err.value) and target in str(err.value)
        assert "allow_redirect_hosts" in str(err.value)
        assert leftovers(root) == []
        with pytest.raises(archives.RedirectError):  # allowing some other host does not help
            archives.download("mnist", root, mirror=hop, catalog=catalog, allow_redirect_hosts=["http://127.0.0.1"])
        capfd.readouterr()
        stamp = archives.download("mnist", root, mirror=hop, catalog=catalog, allow_redirect_hosts=[second])
    log = capfd.readouterr().err
    assert f"downloading {start} (redirected to {target})" in log
    files = json.loads(stamp.read_text())["files"]
    assert files[0]["url"] == start and files[0]["final_url"] == target
    assert len(load_dataset("mnist", "train", root)) == N["train"]


def test_same_host_redirect_is_followed_and_logged(mirror, tmp_path, capfd):
    url, _, catalog = mirror
    archives.download("mnist", tmp_path, mirror=url + "/same", catalog=catalog)
    assert f"(redirected to {url}/mnist/t10k-labels-idx1-ubyte.gz)" in capfd.readouterr().err


@pytest.mark.parametrize("field, value", [
    ("filename", "../../x"),
    ("filename", "../../../x"),
    ("filename", "/tmp/relurepro-absolute-x"),
    ("filename", "../fashion_mnist/x"),  # inside data_root but another dataset's folder
    ("folder", "../.."),
    ("name", "../escaped"),
    ("name", "."),
])
def test_catalog_paths_stay_under_data_root(tmp_path, field, value):
    """No dataset name, folder or filename from a catalog writes outside <data_root>/<dataset>/; the error
    comes before any fetch and names the offending value."""
    folder = tmp_path / "mirror"
    catalog = build_mirror(folder)
    entry = catalog["mnist"]
    entry["base_urls"] = [folder.as_uri() + "/mnist/"]
    if field == "filename":
        data = (folder / "mnist" / entry["files"][0]["filename"]).read_bytes()
        (folder / "x").write_bytes(data)  # where ../x resolves on the mirror too
        entry["files"][0]["filename"] = value
    elif field == "folder":
        entry["folder"] = value
    name = value if field == "name" else "mnist"
    catalog = {name: entry}
    root = tmp_path / "a" / "b" / "data"
    before = sorted(p for p in tmp_path.rglob("*") if not p.is_relative_to(folder))
    with pytest.raises(ValueError, match=re.escape(repr(value))):
        archives.download(name, root, catalog=catalog)
    assert sorted(p for p in tmp_path.rglob("*") if not p.is_relative_to(folder)) == before
    assert not Path("/tmp/relurepro-absolute-x").exists()
