"""Small archives in the exact official formats, a catalog for them, and a local HTTP server.

Each dataset gets a few images whose pixels encode their label, so tests can check labels, channel order and
orientation after parsing:
- MNIST / Fashion-MNIST: gzipped IDX files; image i has pixel (0, label) = 255, the rest 0.
- CIFAR-10: cifar-10-python.tar.gz with cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta} pickles,
  rows of 3072 bytes (R plane, G plane, B plane); R = 20 * label, G = 100, B = 200.
- SVHN: MATLAB v5 .mat files with X (32, 32, 3, N) uint8 and y (N, 1), digit 0 labelled 10; R = 20 * digit.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.server
import io
import pickle
import struct
import tarfile
import threading
from pathlib import Path

import numpy as np

N = {"train": 20, "test": 10, "extra": 6}  # images per split (CIFAR-10: per batch file)
CIFAR_BATCHES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]


def labels(n: int, offset: int = 0) -> np.ndarray:
    return (np.arange(n) + offset) % 10


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)  # mtime=0: the same bytes, hence the same MD5, on every run


def idx_files(prefix: str, n: int, offset: int) -> dict[str, bytes]:
    """The two gzipped IDX files of one MNIST split: images (magic 0x803) and labels (magic 0x801), big-endian."""
    y = labels(n, offset).astype(np.uint8)
    x = np.zeros((n, 28, 28), np.uint8)
    x[np.arange(n), 0, y] = 255
    return {
        f"{prefix}-images-idx3-ubyte.gz": _gz(struct.pack(">IIII", 0x803, n, 28, 28) + x.tobytes()),
        f"{prefix}-labels-idx1-ubyte.gz": _gz(struct.pack(">II", 0x801, n) + y.tobytes()),
    }


def cifar_tarball(n: int) -> bytes:
    members = {}
    for k, batch in enumerate(CIFAR_BATCHES):
        y = labels(n, k)
        planes = np.empty((n, 3, 32 * 32), np.uint8)
        planes[:, 0] = (20 * y)[:, None]
        planes[:, 1], planes[:, 2] = 100, 200
        entry = {"batch_label": f"{batch} (test fixture)", "labels": y.tolist(),
                 "data": planes.reshape(n, 3072), "filenames": [f"img{i}.png" for i in range(n)]}
        members[batch] = pickle.dumps(entry, protocol=2)
    members["batches.meta"] = pickle.dumps({"label_names": [f"class{i}" for i in range(10)],
                                            "num_cases_per_batch": n, "num_vis": 3072}, protocol=2)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size, info.mtime = len(data), 0
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def svhn_mat(n: int, offset: int) -> bytes:
    import scipy.io

    digits = labels(n, offset)
    x = np.zeros((32, 32, 3, n), np.uint8)
    x[:, :, 0, :] = 20 * digits
    x[:, :, 1, :] = 100
    buf = io.BytesIO()
    scipy.io.savemat(buf, {"X": x, "y": np.where(digits == 0, 10, digits).astype(np.uint8)[:, None]})
    return buf.getvalue()


def official_files() -> dict[str, dict[str, tuple[bytes, str]]]:
    """{dataset: {filename: (bytes, split)}} in the official formats and names."""
    mnist = {**{k: (v, "train") for k, v in idx_files("train", N["train"], 0).items()},
             **{k: (v, "test") for k, v in idx_files("t10k", N["test"], 3).items()}}
    return {
        "mnist": mnist,
        "fashion_mnist": dict(mnist),
        "cifar10": {"cifar-10-python.tar.gz": (cifar_tarball(N["train"] // 5), "all")},
        "svhn": {f"{s}_32x32.mat": (svhn_mat(N[s], i), s) for i, s in enumerate(("train", "test", "extra"))},
    }


LAYOUT = {  # the same layout as config/datasets.yaml
    "mnist": {"torchvision": "MNIST", "folder": "MNIST/raw", "unpack": "gunzip"},
    "fashion_mnist": {"torchvision": "FashionMNIST", "folder": "FashionMNIST/raw", "unpack": "gunzip"},
    "cifar10": {"torchvision": "CIFAR10", "folder": ".", "unpack": "untar"},
    "svhn": {"torchvision": "SVHN", "folder": ".", "unpack": "none"},
}


def build_mirror(mirror: Path, with_sizes: bool = True) -> dict:
    """Write every small archive to <mirror>/<dataset>/<filename>; return a catalog of their MD5s (and sizes)."""
    catalog = {}
    for name, files in official_files().items():
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


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the mirror folder; paths under /lie/ announce the full size but send only half (a dropped link).

    Redirects: /same/<path> answers 302 to /<path> on this server; /to/<port>/<path> answers 302 to
    http://127.0.0.1:<port>/<path>, another host in the downloader's sense (scheme + host + port)."""

    def do_GET(self):
        if self.path.startswith(("/same/", "/to/")):
            parts = self.path.split("/")
            target = "/" + "/".join(parts[2:]) if parts[1] == "same" else \
                f"http://127.0.0.1:{parts[2]}/" + "/".join(parts[3:])
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if not self.path.startswith("/lie/"):
            return super().do_GET()
        data = Path(self.translate_path(self.path[len("/lie"):])).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.close_connection = True

    def log_message(self, *args):  # keep pytest output clean
        pass


@contextlib.contextmanager
def serve(folder: Path):
    """An HTTP server for `folder` on 127.0.0.1 at a free port, in a thread; yields its base URL."""
    handler = lambda *a, **kw: _Handler(*a, directory=str(folder), **kw)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
