"""--online against a local HTTP server that speaks the real index APIs (PEP 691 JSON and
PEP 503 HTML simple pages, npm package documents, maven-metadata.xml and jar HEADs), found
through the configuration a user would set (PIP_INDEX_URL, npm_config_registry,
~/.m2/settings.xml)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from archport.dependencies import online
from archport.runner import run_scan
from archport.settings import ScanSettings

_PYPI_JSON = {
    "meta": {"api-version": "1.1"},
    "name": "numpy",
    "files": [
        {"filename": "numpy-1.18.5-cp38-cp38-manylinux1_x86_64.whl", "url": "x", "hashes": {}},
        {"filename": "numpy-1.18.5.zip", "url": "x", "hashes": {}},
        {"filename": "numpy-1.19.0-cp38-cp38-manylinux2010_x86_64.whl", "url": "x", "hashes": {}},
        {"filename": "numpy-1.19.0-cp38-cp38-manylinux2014_aarch64.whl", "url": "x", "hashes": {}},
    ],
}
# a package the knowledge base does not know, served as a PEP 503 HTML page
_FASTLIB_HTML = """<!DOCTYPE html><html><body>
<a href="../../files/fastlib-2.0-cp311-cp311-manylinux_2_17_x86_64.whl#sha256=00">fastlib-2.0-cp311-cp311-manylinux_2_17_x86_64.whl</a>
<a href="../../files/fastlib-2.0.tar.gz#sha256=01">fastlib-2.0.tar.gz</a>
<a href="../../files/fastlib-2.1-cp311-cp311-manylinux_2_17_x86_64.whl#sha256=02">x</a>
<a href="../../files/fastlib-2.1-cp311-cp311-manylinux_2_17_aarch64.whl#sha256=03">x</a>
</body></html>"""
_NPM_DOC = {
    "name": "nativetool",
    "versions": {
        "1.0.0": {"optionalDependencies": {"nativetool-linux-x64": "1.0.0", "nativetool-darwin-x64": "1.0.0"}},
        "1.1.0": {"optionalDependencies": {"nativetool-linux-x64": "1.1.0", "nativetool-linux-arm64": "1.1.0"}},
    },
}
_MAVEN_META = """<metadata><groupId>io.netty</groupId><artifactId>netty-transport-native-epoll</artifactId>
<versioning><versions><version>4.1.50.Final</version><version>4.1.54.Final</version><version>4.1.55.Final</version>
<version>4.1.60.Final</version></versions></versioning></metadata>"""


class _Index(BaseHTTPRequestHandler):
    requests: list[str] = []
    delay = 0.0

    def log_message(self, *args):
        pass

    def _answer(self, send_body: bool):
        type(self).requests.append(f"{self.command} {self.path}")
        if self.delay:
            time.sleep(self.delay)
        accept = self.headers.get("Accept", "")
        body, ctype, status = b"", "text/plain", 404
        if self.path == "/simple/numpy/" and "vnd.pypi.simple.v1+json" in accept:
            body, ctype, status = json.dumps(_PYPI_JSON).encode(), "application/vnd.pypi.simple.v1+json", 200
        elif self.path == "/simple/fastlib/":
            body, ctype, status = _FASTLIB_HTML.encode(), "text/html", 200
        elif self.path == "/npm/nativetool":
            body, ctype, status = json.dumps(_NPM_DOC).encode(), "application/json", 200
        elif self.path == "/m2/io/netty/netty-transport-native-epoll/maven-metadata.xml":
            body, ctype, status = _MAVEN_META.encode(), "application/xml", 200
        elif self.path.startswith("/m2/io/netty/netty-transport-native-epoll/") and self.path.endswith("-linux-aarch_64.jar"):
            version = self.path.split("/")[-2]
            status = 200 if version in ("4.1.55.Final", "4.1.60.Final") else 404
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout test)

    def do_GET(self):
        self._answer(True)

    def do_HEAD(self):
        self._answer(False)


@pytest.fixture
def index(monkeypatch, tmp_path):
    _Index.requests = []
    _Index.delay = 0.0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Index)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    settings_xml = tmp_path / "settings.xml"
    settings_xml.write_text(f"<settings><mirrors><mirror><id>m</id><mirrorOf>*</mirrorOf><url>{base}/m2</url></mirror>"
                            "</mirrors></settings>")
    monkeypatch.setenv("PIP_INDEX_URL", f"{base}/simple")
    monkeypatch.setenv("npm_config_registry", f"{base}/npm")
    monkeypatch.setenv("ARCHPORT_MAVEN_SETTINGS", str(settings_xml))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(online, "TIMEOUT", 1.0)
    yield server
    server.shutdown()
    server.server_close()


def _tree(tmp_path):
    root = tmp_path / "proj"
    root.mkdir()
    (root / "requirements.txt").write_text("numpy==1.18.5\nfastlib==2.0\n")
    (root / "package.json").write_text('{"dependencies": {"nativetool": "1.0.0"}}\n')
    (root / "pom.xml").write_text(
        "<project><dependencies><dependency><groupId>io.netty</groupId>"
        "<artifactId>netty-transport-native-epoll</artifactId><version>4.1.54.Final</version>"
        "</dependency></dependencies></project>\n")
    return root


def _scan(root, **kw):
    return run_scan(root, ScanSettings(select=("DP701",), jobs=1, online=True, **kw))


def test_online_answers_are_used_and_cached(index, tmp_path):
    root = _tree(tmp_path)
    report = _scan(root)
    got = {(f.path, f.properties["package"]): f for f in report.active}
    # fastlib is not in the knowledge base: only the index knows 2.0 lacks the aarch64 wheel
    fastlib = got[("requirements.txt", "fastlib")]
    assert fastlib.properties["first_aarch64"] == "2.1" and "127.0.0.1" in fastlib.properties["fact_from"]
    assert got[("requirements.txt", "numpy")].properties["first_aarch64"] == "1.19.0"
    assert got[("package.json", "nativetool")].properties["first_aarch64"] == "1.1.0"
    epoll = got[("pom.xml", "io.netty:netty-transport-native-epoll")]
    assert epoll.properties["first_aarch64"] == "4.1.55.Final"
    assert report.settings["online"]["queried"] == 4 and not report.settings["online"]["notes"]
    first = list(_Index.requests)
    assert "GET /simple/numpy/" in first and any(r.startswith("HEAD /m2/") for r in first)

    # a second scan is answered from the cache: the server sees no request
    again = _scan(root)
    assert _Index.requests == first
    assert {(f.path, f.properties["package"]) for f in again.active} == set(got)
    assert again.settings["online"]["from_cache"] == 4

    # --refresh asks again
    _scan(root, online_refresh=True)
    assert len(_Index.requests) > len(first)


def test_without_online_the_index_is_not_asked(index, tmp_path):
    root = _tree(tmp_path)
    report = run_scan(root, ScanSettings(select=("DP701",), jobs=1))
    assert _Index.requests == []
    packages = {f.properties["package"] for f in report.active}
    assert "numpy" in packages and "fastlib" not in packages  # the knowledge base knows numpy only


def test_unreachable_index_gives_one_note_and_the_offline_answer(index, tmp_path, monkeypatch):
    root = _tree(tmp_path)
    (root / "requirements.txt").write_text("numpy==1.18.5\nfastlib==2.0\nlxml==4.5.0\nscipy==1.5.0\n")
    index.shutdown()
    index.server_close()  # nothing listens on the port any more
    report = _scan(root)
    notes = report.settings["online"]["notes"]
    assert len([n for n in notes if n.startswith("pypi")]) == 1, notes
    packages = {f.properties["package"] for f in report.active}
    assert {"numpy", "lxml", "scipy"} <= packages and "fastlib" not in packages
    assert not report.errors


def test_timeout_counts_as_unreachable(index, tmp_path, monkeypatch):
    root = _tree(tmp_path)
    monkeypatch.setattr(online, "TIMEOUT", 0.2)
    _Index.delay = 0.5
    report = _scan(root)
    assert any("unreachable" in n for n in report.settings["online"]["notes"])
    assert "numpy" in {f.properties["package"] for f in report.active}


def test_index_configuration_from_pip_conf_and_npmrc(monkeypatch, tmp_path):
    conf = tmp_path / "pip.conf"
    conf.write_text("[global]\nindex-url = https://mirror.example/simple/\n")
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    assert online.pypi_index() == "https://mirror.example/simple"
    (tmp_path / ".npmrc").write_text("registry=https://npm.example/\n")
    monkeypatch.delenv("npm_config_registry", raising=False)
    monkeypatch.delenv("NPM_CONFIG_REGISTRY", raising=False)
    assert online.npm_registry(str(tmp_path)) == "https://npm.example"
