"""Small archives in the exact official formats (relurepro.miniature, no texture: MNIST image i has pixel
(0, label) = 255 and the rest 0; CIFAR-10 R = 20 * label, G = 100, B = 200; SVHN R = 20 * digit, G = 100), a catalog
for them, and a local HTTP server that can also lie about sizes and redirect.
"""

from __future__ import annotations

import contextlib
import http.server
import threading
from pathlib import Path

from relurepro.miniature import write_mirror

N = {"train": 20, "test": 10, "extra": 6}  # images per split (CIFAR-10: train / 5 per batch file)


def build_mirror(mirror: Path, with_sizes: bool = True) -> dict:
    """Write every small archive to <mirror>/<dataset>/<filename>; return a catalog of their MD5s (and sizes)."""
    return write_mirror(mirror, N, with_sizes=with_sizes)


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
