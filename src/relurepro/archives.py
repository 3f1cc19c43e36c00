"""Official dataset archives: download, verify, unpack, and parse them as tensors.

The catalog (``config/datasets.yaml``) lists per dataset the files, their MD5 and size, the official base URLs and
the folder layout torchvision expects. :func:`download` fetches each file to a temporary name beside its final path,
checks size and MD5, and only then renames it into place (an atomic rename on one filesystem), so a half-written or
corrupt file never sits at a final path. ``<root>/<name>/verified.json`` is written last, after every file checked
out; rules depend on that stamp, and :func:`official_tensors` refuses to read a dataset without it.

Mirror rule: with ``mirror`` set, every file comes from ``<mirror>/<dataset>/<filename>`` (for example
``http://host/data/mnist/train-images-idx3-ubyte.gz``); the dataset folder keeps MNIST and Fashion-MNIST, whose
filenames are identical, apart. ``file://`` mirrors work too (urllib handles them).

Redirects: a "host" here is an origin, scheme + host name + port (``http://127.0.0.1:8000`` and
``http://127.0.0.1:8001`` are two hosts). A redirect to another host is refused unless that host is listed in
``allow_redirect_hosts`` (config/config.yaml; ``"*"`` accepts any host). The one redirect always followed is the
upgrade from ``http://h`` to ``https://h`` on the default ports: same host name, only TLS added. The log names
the URL a file finally came from.

Paths: every file lands under ``<data_root>/<dataset>/``; a catalog whose dataset name, folder or filename would
leave it (``../x``, an absolute path, a link out) is refused before anything is fetched. Files get the modes the
process umask allows (as ``open`` would create them), so a data root shared through a group stays readable.

:func:`check_imagenet` checks an ImageNet-1k folder (which cannot be downloaded without an account).
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import os
import shutil
import sys
import tarfile
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import yaml

from relurepro.pipeline.dataset_names import EMBEDDED

if TYPE_CHECKING:
    import torch

CATALOG = Path(__file__).resolve().parents[2] / "config" / "datasets.yaml"
STAMP = "verified.json"
CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """A file could not be fetched in full."""


class ChecksumError(DownloadError):
    """A fetched file has the wrong size or MD5."""


class RedirectError(DownloadError):
    """A server redirected to a host that allow_redirect_hosts does not list."""


def _umask() -> int:
    """The process umask (reading it means setting it; set it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _as_created(path: str | Path, mode: int = 0o666) -> None:
    """Give a file made by mkstemp (always 0600) the mode open() would have given it under the umask."""
    os.chmod(path, mode & ~_umask())


def origin(url: str) -> str:
    """scheme://host:port of a URL, the port made explicit (http 80, https 443): what "host" means here."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443, "ftp": 21}.get(scheme)
    host = (parts.hostname or "").lower()
    return f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"


def _redirect_allowed(start: str, target: str, allowed) -> bool:
    if "*" in allowed or origin(target) in {origin(start), *(origin(a) for a in allowed)}:
        return True
    # http://h -> https://h on the default ports: the same host name, only TLS added.
    a, b = urllib.parse.urlsplit(start), urllib.parse.urlsplit(target)
    return (origin(start) == f"http://{a.hostname}:80" and origin(target) == f"https://{a.hostname}:443"
            and a.hostname == b.hostname)


def _opener(url: str, allowed):
    """A urllib opener that follows redirects only to `url`'s own host and the hosts in `allowed`."""

    class Guard(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req, fp, code, msg, headers, newurl):
            # Every hop is checked against the first URL, so a chain cannot walk from host to host.
            if not _redirect_allowed(url, newurl, allowed):
                raise RedirectError(
                    f"refused redirect from {url} to {newurl}: {origin(newurl)} is another host than "
                    f"{origin(url)}; list it in allow_redirect_hosts (config/config.yaml) to accept it")
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    return urllib.request.build_opener(Guard)


def dataset_ready(name: str, data_root: str | Path):
    """What a rule reading dataset `name` needs first: nothing for embedded sets, the verified.json stamp else."""
    if name in EMBEDDED:
        return []
    return f"{data_root}/{name}/{STAMP}"


def load_catalog(catalog: dict | str | Path | None = None) -> dict:
    """The dataset catalog: a dict as is, else the YAML file at `catalog` (default: config/datasets.yaml)."""
    if isinstance(catalog, dict):
        return catalog
    path = Path(catalog) if catalog else CATALOG
    if not path.is_file():
        raise FileNotFoundError(f"dataset catalog {path} not found")
    return yaml.safe_load(path.read_text())


def file_urls(name: str, entry: dict, filename: str, mirror: str = "") -> list[str]:
    """Where a file is fetched from, in order of preference (see the mirror rule in the module docstring)."""
    if mirror:
        return [f"{mirror.rstrip('/')}/{name}/{filename}"]
    return [base + filename for base in entry["base_urls"]]


def md5sum(path: str | Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _progress(label: str, got: int, total: int | None, last: int) -> int:
    """Print a line every 10 % (or every 50 MB when the size is unknown); returns the last step printed.

    Lines, not a carriage-return bar: the output goes to the rule's log file."""
    step = got * 10 // total if total else got // (50 * CHUNK)
    if step > last:
        of = f" of {total / 1e6:.1f} MB ({got * 100 // total} %)" if total else " MB"
        print(f"  {label}: {got / 1e6:.1f}{of}", file=sys.stderr, flush=True)
    return max(step, last)


def fetch(url: str, dest: Path, md5: str, size: int | None = None, label: str = "",
          allow_redirect_hosts=()) -> str:
    """Download `url` to `dest`, verified: on any failure nothing is left at `dest` and the temporary is removed.

    Returns the URL the bytes came from (after redirects; see the module docstring for which are followed)."""
    label = label or dest.name
    dest.parent.mkdir(parents=True, exist_ok=True)
    # The temporary lives beside dest so that os.replace is an atomic rename, not a copy across filesystems.
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        digest, got = hashlib.md5(), 0
        with os.fdopen(fd, "wb") as out, _opener(url, allow_redirect_hosts).open(url, timeout=60) as response:
            announced = response.headers.get("Content-Length")
            total = int(announced) if announced else size
            final = response.geturl()
            via = f" (redirected to {final})" if final != url else ""
            print(f"downloading {url}{via} -> {dest}", file=sys.stderr, flush=True)
            last = 0
            try:
                for block in iter(lambda: response.read(CHUNK), b""):
                    out.write(block)
                    digest.update(block)
                    got += len(block)
                    last = _progress(label, got, total, last)
            except http.client.IncompleteRead as err:
                got += len(err.partial)
        # A connection closed early shows up as fewer bytes than the server announced (urllib does not raise).
        if announced and got != int(announced):
            raise DownloadError(f"truncated download of {label}: the server announced {announced} bytes, got {got}")
        if size is not None and got != size:
            raise ChecksumError(f"size mismatch for {label}: expected {size} bytes got {got} (truncated or wrong file)")
        if digest.hexdigest() != md5:
            raise ChecksumError(f"checksum mismatch for {label}: expected {md5} got {digest.hexdigest()}")
        _as_created(tmp)
        os.replace(tmp, dest)
        return final
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _gunzip(src: Path) -> None:
    """Write src without its .gz beside it (torchvision's MNIST reads the uncompressed IDX files)."""
    dest = src.with_suffix("")
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=src.parent)
    try:
        with os.fdopen(fd, "wb") as out, gzip.open(src, "rb") as f:
            shutil.copyfileobj(f, out, CHUNK)
        _as_created(tmp)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _untar(src: Path) -> None:
    """Unpack src into its folder: extract to a scratch folder first, then move the top-level entries in."""
    mask = _umask()

    def data_under_umask(member, path):
        # The "data" filter refuses absolute paths, links out of the tree and device files; the umask then trims
        # the archive's modes as tar does for a user (tarfile alone would set them as stored).
        member = tarfile.data_filter(member, path)
        return member if member.mode is None else member.replace(mode=member.mode & ~mask, deep=False)

    with tempfile.TemporaryDirectory(prefix=".untar.", dir=src.parent) as scratch:
        with tarfile.open(src) as tar:
            tar.extractall(scratch, filter=data_under_umask)
        for entry in Path(scratch).iterdir():
            target = src.parent / entry.name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
            os.replace(entry, target)


UNPACK = {"none": lambda path: None, "gunzip": _gunzip, "untar": _untar}


def _splits_of(entry: dict) -> list[str]:
    """The splits a dataset offers; an archive marked `all` holds train and test."""
    found = []
    for f in entry["files"]:
        for s in (["train", "test"] if f["split"] == "all" else [f["split"]]):
            if s not in found:
                found.append(s)
    return found


def _confined(home: Path, *parts: str, what: str) -> Path:
    """home/parts, refused unless it stays inside `home` (after resolving "..", absolute parts and links)."""
    path = home.joinpath(*parts)
    if not path.resolve().is_relative_to(home.resolve()):
        raise ValueError(f"{what} {'/'.join(parts)!r} would write {path.resolve()}, outside {home}; "
                         "every file must stay under <data_root>/<dataset>/")
    return path


def download(name: str, root: str | Path, mirror: str = "", splits=None, catalog=None,
             allow_redirect_hosts=()) -> Path:
    """Fetch, verify and unpack official dataset `name` under `<root>/<name>/`; returns the verified.json path.

    splits: which splits to fetch (default: all the catalog lists; SVHN's `extra` is 1.3 GB). Archives marked
    `all` are always fetched. catalog: a dict or a YAML path in the config/datasets.yaml format (default: that file).
    Files already present with the right size and MD5 are kept, so an interrupted download resumes file by file.
    allow_redirect_hosts: hosts (scheme://host[:port], or "*") a server may redirect to (module docstring).
    """
    cat = load_catalog(catalog)
    if name not in cat:
        raise ValueError(f"unknown official dataset {name!r}; the catalog has {sorted(cat)}")
    entry = cat[name]
    offered = _splits_of(entry)
    wanted = list(splits) if splits else offered
    unknown = [s for s in wanted if s not in offered]
    if unknown:
        raise ValueError(f"{name} has no split(s) {unknown}; it has {offered}")
    home = _confined(Path(root), name, what="dataset name")
    if home.resolve() == Path(root).resolve():
        raise ValueError(f"dataset name {name!r} is not a folder name; every file must stay under <data_root>/<name>/")
    folder = _confined(home, entry.get("folder", "."), what=f"{name}: folder")
    files = [f for f in entry["files"] if f["split"] == "all" or f["split"] in wanted]
    # Every destination is checked before anything is fetched or removed.
    dests = [_confined(folder, f["filename"], what=f"{name}: filename") for f in files]
    stamp = home / STAMP
    # A stamp from an earlier download must not outlive a failing one.
    stamp.unlink(missing_ok=True)
    record = []
    for f, dest in zip(files, dests):
        size = f.get("bytes")
        if dest.is_file() and (size is None or dest.stat().st_size == size) and md5sum(dest) == f["md5"]:
            print(f"{dest} already verified", file=sys.stderr, flush=True)
            url = final = None
        else:
            dest.unlink(missing_ok=True)
            url, final = _fetch_first(file_urls(name, entry, f["filename"], mirror), dest, f["md5"], size,
                               f"{name}/{f['filename']}", allow_redirect_hosts)
        UNPACK[entry.get("unpack", "none")](dest)
        record.append({**f, "url": url, "final_url": final})
    info = {
        "dataset": name,
        "torchvision": entry["torchvision"],
        "folder": entry.get("folder", "."),
        "splits": [s for s in offered if s in wanted or any(f["split"] == "all" for f in files)],
        "files": record,
        "mirror": mirror,
        "allow_redirect_hosts": list(allow_redirect_hosts),
        "verified_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    tmp = stamp.with_suffix(".part")
    tmp.write_text(json.dumps(info, indent=2) + "\n")
    os.replace(tmp, stamp)
    print(f"{name}: {len(record)} file(s) verified -> {stamp}", file=sys.stderr, flush=True)
    return stamp


def _fetch_first(urls: list[str], dest: Path, md5: str, size: int | None, label: str,
                 allow_redirect_hosts=()) -> tuple[str, str]:
    """Try each URL in turn; returns the one that worked and the URL it finally came from (after redirects).
    With a single URL its error is raised as is."""
    errors = []
    for url in urls:
        try:
            final = fetch(url, dest, md5, size, label, allow_redirect_hosts)
            if final != url:
                print(f"  {label} came from {final}", file=sys.stderr, flush=True)
            return url, final
        except (OSError, DownloadError, http.client.HTTPException) as err:  # URLError is an OSError
            errors.append((url, err))
            print(f"  {url} failed: {err}", file=sys.stderr, flush=True)
    if len(errors) == 1:
        raise errors[0][1]
    raise DownloadError(f"every source failed for {label}:\n" + "\n".join(f"  {u}: {e}" for u, e in errors))


# --- parsing -------------------------------------------------------------------------------------------------

def _torchvision_dataset(cls_name: str, root: Path, split: str):
    """A torchvision dataset over the verified files (download=False).

    torchvision re-hashes CIFAR-10 and SVHN files against its own MD5 table on every load. download() verified
    them already (verified.json), against a catalog that may differ (a test mirror), so these subclasses keep
    torchvision's parsing and its "file exists" checks but drop the second hashing (md5=None means exists only).
    """
    from torchvision import datasets

    if cls_name in ("MNIST", "FashionMNIST"):
        return getattr(datasets, cls_name)(root, train=split == "train", download=False)
    if cls_name == "CIFAR10":
        class CIFAR10(datasets.CIFAR10):
            train_list = [[f, None] for f, _ in datasets.CIFAR10.train_list]
            test_list = [[f, None] for f, _ in datasets.CIFAR10.test_list]
            meta = {**datasets.CIFAR10.meta, "md5": None}

        return CIFAR10(root, train=split == "train", download=False)
    if cls_name == "SVHN":
        class SVHN(datasets.SVHN):
            split_list = {k: [url, fn, None] for k, (url, fn, _) in datasets.SVHN.split_list.items()}

        return SVHN(root, split=split, download=False)
    raise ValueError(f"no parser for torchvision class {cls_name!r}")


def _as_tensors(ds) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 images as NCHW and int64 labels, from the dataset's arrays (not per-item PIL conversion)."""
    import torch  # here, not at the top: the workflow imports this module while planning, which must stay fast

    if hasattr(ds, "labels"):  # SVHN: data already (N, 3, 32, 32), labels with 10 mapped to 0 by torchvision
        return torch.from_numpy(np.ascontiguousarray(ds.data)), torch.from_numpy(np.asarray(ds.labels, np.int64))
    data = torch.as_tensor(ds.data)
    if data.ndim == 3:  # MNIST-like: (N, H, W)
        data = data.unsqueeze(1)
    else:  # CIFAR-10: (N, H, W, C)
        data = data.permute(0, 3, 1, 2)
    return data.contiguous(), torch.as_tensor(ds.targets, dtype=torch.int64)


def official_tensors(name: str, split: str = "train", root: str | Path = "data") -> tuple[torch.Tensor, torch.Tensor]:
    """A verified official dataset as (images, labels): float32 NCHW in [0, 1] and int64; `all` is train followed
    by test. (relurepro.data.load_dataset wraps them; this module does not import relurepro.data.)"""
    home = Path(root) / name
    stamp = home / STAMP
    if not stamp.is_file():
        raise FileNotFoundError(
            f"{name} is not downloaded and verified under {root}: {stamp} is missing "
            f"(run `snakemake {stamp}` or relurepro.archives.download({name!r}, {str(root)!r}))")
    info = json.loads(stamp.read_text())
    parts = ["train", "test"] if split == "all" else [split]
    missing = [s for s in parts if s not in info["splits"]]
    if missing:
        raise ValueError(f"{name} split(s) {missing} not available under {home}; verified: {info['splits']}")
    import torch

    xs, ys = zip(*(_as_tensors(_torchvision_dataset(info["torchvision"], home, s)) for s in parts))
    return torch.cat(xs).to(torch.float32).div_(255.0), torch.cat(ys)


# --- ImageNet -------------------------------------------------------------------------------------------------

def check_imagenet(folder: str | Path, n_classes: int = 1000) -> dict:
    """Check an ImageNet-1k folder: train/ and val/ each hold the same `n_classes` non-empty class folders.

    Returns {"train": n, "val": n}; raises FileNotFoundError / ValueError naming what is missing.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"ImageNet folder {folder} does not exist (set imagenet_dir in config/config.yaml)")
    classes = {}
    for part in ("train", "val"):
        sub = folder / part
        if not sub.is_dir():
            raise FileNotFoundError(f"ImageNet folder {folder} has no {part}/ subfolder")
        classes[part] = sorted(p.name for p in sub.iterdir() if p.is_dir())
    # Name the missing classes first: that is the actionable message when one split is incomplete.
    only_train = sorted(set(classes["train"]) - set(classes["val"]))
    only_val = sorted(set(classes["val"]) - set(classes["train"]))
    if only_train or only_val:
        raise ValueError(f"ImageNet {folder}: class folders differ between train/ and val/; "
                         f"missing from val/: {only_train[:10]}, missing from train/: {only_val[:10]}")
    for part, names in classes.items():
        if len(names) != n_classes:
            raise ValueError(f"ImageNet {folder / part} has {len(names)} class folders, expected {n_classes}")
        empty = [c for c in names if next((folder / part / c).iterdir(), None) is None]
        if empty:
            raise ValueError(f"ImageNet {folder / part} has {len(empty)} empty class folder(s): "
                             f"{', '.join(empty[:10])}")
    return {part: len(names) for part, names in classes.items()}
