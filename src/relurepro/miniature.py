"""Miniature datasets in the official formats, byte for byte reproducible: the tests' archives and the rehearsal's.

The files are what torchvision and this pipeline's loaders read, only with fewer images:
- MNIST / Fashion-MNIST: gzipped IDX files (images magic 0x803, labels 0x801, big-endian);
- CIFAR-10: cifar-10-python.tar.gz holding cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}, rows of
  3072 bytes (R plane, G plane, B plane);
- SVHN: MATLAB v5 .mat files with X (32, 32, 3, N) uint8 and y (N, 1), digit 0 labelled 10;
- ImageNet: train/ and val/ trees of 1000 class folders of JPEGs (:func:`imagenet_tree`).

Every image encodes its label (MNIST: pixel (0, label) = 255; CIFAR-10 and SVHN: red = 20 x label), so a test can
check labels, channel order and orientation after parsing. With ``texture=True`` the other pixels hold a fixed
pattern instead of a constant, so that a network trained on them sees varied inputs (the rehearsal).
Nothing depends on the clock or a random state: gzip and tar members carry mtime 0 and the MAT header a fixed text,
so the same call writes the same bytes and the catalogs can declare their MD5s.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import struct
import tarfile
from pathlib import Path

import numpy as np

CIFAR_BATCHES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
REHEARSAL_SIZES = {"train": 128, "test": 32, "extra": 32}  # the rehearsal's images per split (CIFAR-10: 25 a file)

# Where each dataset's files go and how they unpack: the layout of config/datasets.yaml.
LAYOUT = {
    "mnist": {"torchvision": "MNIST", "folder": "MNIST/raw", "unpack": "gunzip"},
    "fashion_mnist": {"torchvision": "FashionMNIST", "folder": "FashionMNIST/raw", "unpack": "gunzip"},
    "cifar10": {"torchvision": "CIFAR10", "folder": ".", "unpack": "untar"},
    "svhn": {"torchvision": "SVHN", "folder": ".", "unpack": "none"},
}


def split_sizes(sizes: dict[str, int] = REHEARSAL_SIZES, imagenet_per_class: int = 1) -> dict[str, dict[str, int]]:
    """Images per split of each miniature dataset written with `sizes` (what the cost model needs to price a job
    that reads them)."""
    mnist = {"train": sizes["train"], "test": sizes["test"]}
    per_batch = sizes["train"] // 5
    return {"mnist": mnist, "fashion_mnist": dict(mnist), "cifar10": {"train": 5 * per_batch, "test": per_batch},
            "svhn": {s: sizes[s] for s in ("train", "test", "extra")},
            "imagenet": {"train": 1000 * imagenet_per_class, "val": 1000 * imagenet_per_class}}


def labels(n: int, offset: int = 0) -> np.ndarray:
    return (np.arange(n) + offset) % 10


def _pattern(shape: tuple[int, ...], offset: int) -> np.ndarray:
    """A fixed, varied uint8 pattern (no random state): what `texture` fills the non-label pixels with."""
    i = np.arange(int(np.prod(shape)), dtype=np.int64) + 7919 * offset
    return ((i * 2654435761) >> 13).astype(np.uint8).reshape(shape)


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)  # mtime=0: the same bytes, hence the same MD5, on every run


def idx_files(prefix: str, n: int, offset: int, texture: bool = False) -> dict[str, bytes]:
    """The two gzipped IDX files of one MNIST split: images (magic 0x803) and labels (magic 0x801), big-endian."""
    y = labels(n, offset).astype(np.uint8)
    x = _pattern((n, 28, 28), offset) // 2 if texture else np.zeros((n, 28, 28), np.uint8)
    x[np.arange(n), 0, y] = 255
    return {
        f"{prefix}-images-idx3-ubyte.gz": _gz(struct.pack(">IIII", 0x803, n, 28, 28) + x.tobytes()),
        f"{prefix}-labels-idx1-ubyte.gz": _gz(struct.pack(">II", 0x801, n) + y.tobytes()),
    }


def cifar_tarball(n: int, texture: bool = False) -> bytes:
    """cifar-10-python.tar.gz with `n` images in each of the six batch files."""
    members = {}
    for k, batch in enumerate(CIFAR_BATCHES):
        y = labels(n, k)
        planes = np.empty((n, 3, 32 * 32), np.uint8)
        planes[:, 0] = (20 * y)[:, None]
        planes[:, 1:] = _pattern((n, 2, 32 * 32), k) if texture else np.array([100, 200], np.uint8)[:, None]
        entry = {"batch_label": f"{batch} (miniature)", "labels": y.tolist(),
                 "data": planes.reshape(n, 3072), "filenames": [f"img{i}.png" for i in range(n)]}
        members[batch] = pickle.dumps(entry, protocol=2)
    members["batches.meta"] = pickle.dumps({"label_names": [f"class{i}" for i in range(10)],
                                            "num_cases_per_batch": n, "num_vis": 3072}, protocol=2)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size, info.mtime = len(data), 0
            tar.addfile(info, io.BytesIO(data))
    return _gz(buf.getvalue())


MAT_HEADER = b"MATLAB 5.0 MAT-file, miniature written by relurepro".ljust(116)


def svhn_mat(n: int, offset: int, texture: bool = False) -> bytes:
    """One SVHN split as a MATLAB v5 file; its 116-byte header text is fixed (scipy writes the date there)."""
    import scipy.io

    digits = labels(n, offset)
    x = np.zeros((32, 32, 3, n), np.uint8)
    x[:, :, 0, :] = 20 * digits
    x[:, :, 1, :] = 100
    if texture:
        x[:, :, 1:, :] = _pattern((32, 32, 2, n), offset)
    buf = io.BytesIO()
    scipy.io.savemat(buf, {"X": x, "y": np.where(digits == 0, 10, digits).astype(np.uint8)[:, None]})
    return MAT_HEADER + buf.getvalue()[116:]


def official_files(sizes: dict[str, int], texture: bool = False) -> dict[str, dict[str, tuple[bytes, str]]]:
    """{dataset: {filename: (bytes, split)}} in the official formats and names; `sizes` gives the images of the
    train, test and extra splits (CIFAR-10: train / 5 per batch file, and as many test images)."""
    mnist = {**{k: (v, "train") for k, v in idx_files("train", sizes["train"], 0, texture).items()},
             **{k: (v, "test") for k, v in idx_files("t10k", sizes["test"], 3, texture).items()}}
    return {
        "mnist": mnist,
        "fashion_mnist": dict(mnist),
        "cifar10": {"cifar-10-python.tar.gz": (cifar_tarball(sizes["train"] // 5, texture), "all")},
        "svhn": {f"{s}_32x32.mat": (svhn_mat(sizes[s], i, texture), s)
                 for i, s in enumerate(("train", "test", "extra"))},
    }


def write_mirror(mirror: Path, sizes: dict[str, int], texture: bool = False, with_sizes: bool = True) -> dict:
    """Write every miniature archive to <mirror>/<dataset>/<filename>; return a catalog (config/datasets.yaml's
    layout) declaring their MD5s and, with `with_sizes`, their sizes."""
    catalog = {}
    for name, files in official_files(sizes, texture).items():
        (mirror / name).mkdir(parents=True, exist_ok=True)
        entries = []
        for filename, (data, split) in files.items():
            (mirror / name / filename).write_bytes(data)
            entry = {"filename": filename, "md5": hashlib.md5(data).hexdigest(), "split": split}
            if with_sizes:
                entry["bytes"] = len(data)
            entries.append(entry)
        catalog[name] = {**LAYOUT[name], "base_urls": ["http://unused.invalid/"], "files": entries}
    return catalog


def imagenet_tree(folder: Path, classes: int = 1000, per_class: int = 1, size: int = 40) -> dict[str, int]:
    """train/ and val/ of `classes` class folders (n00000000, ...) holding `per_class` small JPEGs each, in the
    layout torchvision's ImageFolder and relurepro.archives.check_imagenet read; returns the image counts."""
    from PIL import Image

    for part in ("train", "val"):
        for c in range(classes):
            home = folder / part / f"n{c:08d}"
            home.mkdir(parents=True, exist_ok=True)
            for i in range(per_class):
                pixels = _pattern((size, size, 3), c * per_class + i)
                pixels[..., 0] = c % 256
                Image.fromarray(pixels).save(home / f"{part}_{c}_{i}.JPEG", quality=90)
    return {part: classes * per_class for part in ("train", "val")}
