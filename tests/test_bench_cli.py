"""``workbench bench``: downloads from an HTTP server on 127.0.0.1 serving files the test writes (resume,
truncation, checksum mismatch: nothing half-installed), ``import`` and ``ls``."""
from __future__ import annotations

import hashlib
import tarfile
import http.server
import threading

import pytest

from tests.test_benchmarks_formats import _meta, _pbz2, _records
from workbench import benchmarks
from workbench.benchmarks import compact, download
from workbench.cli import main
from workbench.errors import DataError


class _Handler(http.server.BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}
    truncate: set[str] = set()
    requests: list[dict] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        data = self.files.get(self.path)
        type(self).requests.append({"path": self.path, "range": self.headers.get("Range")})
        if data is None:
            self.send_error(404)
            return
        start = 0
        if self.headers.get("Range"):
            start = int(self.headers["Range"].split("=")[1].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if self.path in self.truncate else body)

    def log_message(self, *args):
        pass


@pytest.fixture()
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    _Handler.files, _Handler.truncate, _Handler.requests = {}, set(), []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", _Handler
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def full_file(tmp_path_factory):
    """A tiny ``NATS-tss-v1_0-3ffb9-simple.tar`` (the layout of the published archive), as bytes."""
    root = tmp_path_factory.mktemp("src")
    folder = root / "NATS-tss-v1_0-3ffb9-simple"
    folder.mkdir()
    _pbz2(_meta(), folder / "meta.pickle.pbz2")
    for i, rec in _records().items():
        _pbz2(rec, folder / f"{i:06d}.pickle.pbz2")
    with tarfile.open(root / "a.tar", "w") as tf:
        tf.add(folder, arcname=folder.name)
    return (root / "a.tar").read_bytes()


@pytest.mark.slow
def test_download_installs_a_converted_benchmark(server, cache, full_file, capsys):
    base, handler = server
    handler.files["/tss.tar"] = full_file
    md5 = hashlib.md5(full_file).hexdigest()
    assert main(["bench", "download", "nats-tss", "--url", base + "/tss.tar", "--md5", md5, "--allow-pickle", "--quiet"]) == 0
    installed = cache / "benchmarks" / "nb201.wbench.npz"
    assert f"installed nb201 at {installed}" in capsys.readouterr().out
    table = benchmarks.load("nb201")
    assert table.meta["present"] == 2 and table.query(1, "cifar10", "test_acc", 200, seed=888) == pytest.approx(60 + 1 + 10 + 0.888 + 19.9)
    assert main(["bench", "ls"]) == 0
    listing = capsys.readouterr().out
    assert "nb201" in listing and str(installed) in listing and "nb201-v1_0" in listing


def test_truncated_download_installs_nothing_and_resumes(server, cache, full_file, tmp_path):
    base, handler = server
    handler.files["/f"] = full_file
    handler.truncate.add("/f")
    target = tmp_path / "dl" / "file.pbz2"
    with pytest.raises(DataError, match=f"truncated: got {len(full_file) // 2} of {len(full_file)} bytes"):
        download.download_file(base + "/f", target, md5=hashlib.md5(full_file).hexdigest())
    assert not target.exists() and target.with_name("file.pbz2.part").stat().st_size == len(full_file) // 2
    handler.truncate.clear()
    download.download_file(base + "/f", target, md5=hashlib.md5(full_file).hexdigest())
    assert target.read_bytes() == full_file and not target.with_name("file.pbz2.part").exists()
    assert handler.requests[-1]["range"] == f"bytes={len(full_file) // 2}-"  # resumed, not restarted


def test_checksum_mismatch_removes_the_file(server, cache, full_file, capsys):
    base, handler = server
    handler.files["/tss.tar"] = full_file
    code = main(["bench", "download", "nats-tss", "--url", base + "/tss.tar", "--md5", "0" * 32, "--allow-pickle", "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert "checksum mismatch" in err and hashlib.md5(full_file).hexdigest() in err
    assert not (cache / "benchmarks").exists() or not list((cache / "benchmarks").iterdir())
    assert not list((cache / "downloads").iterdir())


def test_published_md5_suffix_is_checked(server, cache, full_file):
    base, handler = server
    handler.files["/v10.pth"] = full_file
    with pytest.raises(DataError, match=r"expected \.\.\.e61699"):
        download.install("nb201-v1_0", url=base + "/v10.pth", allow_pickle=True)
    assert not (cache / "benchmarks" / "nb201.wbench.npz").exists()


def test_download_refuses_pickles_before_fetching(server, cache):
    base, handler = server
    assert main(["bench", "download", "nats-tss", "--url", base + "/x", "--quiet"]) == 2
    assert handler.requests == []
    with pytest.raises(DataError, match="unknown benchmark source 'nats'; sources: nats-tss, nats-sss"):
        download.install("nats", allow_pickle=True)


def test_http_errors_and_web_pages_are_clear(server, tmp_path):
    base, handler = server
    with pytest.raises(DataError, match="HTTP 404"):
        download.download_file(base + "/missing", tmp_path / "a.bin")
    handler.files["/page"] = b"<html>quota exceeded</html>"

    class _Html(handler):
        pass

    with pytest.raises(DataError, match="not a.bin"):
        original = handler.do_GET

        def html_get(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"<html")

        handler.do_GET = html_get
        try:
            download.download_file(base + "/page", tmp_path / "a.bin")
        finally:
            handler.do_GET = original
    assert not (tmp_path / "a.bin").exists()


def test_import_command_merges_sources(cache, nb201_table_path, tmp_path, capsys):
    out = tmp_path / "merged.wbench.npz"
    assert main(["bench", "import", str(nb201_table_path), "--out", str(out)]) == 0
    assert compact.read(out).query(0, "cifar10", "val_acc", 200) == benchmarks.read_source(nb201_table_path).query(0, "cifar10", "val_acc", 200)
    assert main(["bench", "info", str(out)]) == 0
    assert "cifar10: test_acc@[12]" in capsys.readouterr().out
    assert main(["bench", "import", str(tmp_path / "nope.csv")]) == 2
    assert "not found" in capsys.readouterr().err
