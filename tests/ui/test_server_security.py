"""``wom app``'s server against requests a hostile page or network could make.

The server runs as ``wom app`` starts it (a subprocess on a free loopback port); plain HTTP and
websocket clients then check: no request changes a file of the install (Solara's offline asset
bundle), a foreign ``Host`` (DNS rebinding) or ``Origin`` (cross-site websocket hijacking) is
refused on every endpoint and on the kernel websocket, a cross-site sub-request is refused, the
loopback origin works, and the access token is enforced when set. Errors in the page show a
message, never a traceback.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from simulation.ui.server import app_command, app_environment, exposure_warning

pytestmark = pytest.mark.timeout(300)

BUNDLE = "@widgetti/solara-vuetify-app@10.1.1"
# Requests that made Solara's asset proxy delete or write files in its folder: a folder asked
# for as a file (deleted), a package path with a trailing slash (deleted), a file missing from
# the offline copy (fetched and written), and methods that have no business there.
HOSTILE = [
    ("GET", f"/_solara/cdn/{BUNDLE}/"),
    ("GET", f"/_solara/cdn/{BUNDLE}/dist"),
    ("GET", "/_solara/cdn/requirejs@2.3.6/"),
    ("GET", "/_solara/cdn/@widgetti/"),
    ("GET", "/_solara/cdn/left-pad@1.3.0/index.js"),
    ("GET", "/_solara/cdn/left-pad@1.3.0"),
    ("GET", "/_solara/cdn/%2e%2e/%2e%2e/etc/passwd"),
    ("POST", f"/_solara/cdn/{BUNDLE}/package.json"),
    ("DELETE", f"/_solara/cdn/{BUNDLE}/package.json"),
    ("PUT", f"/_solara/cdn/{BUNDLE}/package.json"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(log: Path, **env: str) -> Iterator[str]:
    """``wom app``'s server on a free loopback port; yields its base URL."""
    port = _free_port()
    environment = {**app_environment(), **env}
    with log.open("w") as out:
        process = subprocess.Popen(
            app_command(host="127.0.0.1", port=port),
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the server did not start"
            try:
                requests.get(f"{url}/readyz", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def _tree_hash(folder: Path) -> str:
    """A hash of every path, size and content under ``folder``."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(str(path.stat().st_size).encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _install_cdn() -> Path:
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def _hostile_requests(url: str) -> list[int]:
    statuses = []
    for method, path in HOSTILE:
        response = requests.request(method, url + path, timeout=30, allow_redirects=False)
        statuses.append(response.status_code)
    return statuses


def _kernel_path() -> str:
    return f"/jupyter/api/kernels/{uuid.uuid4()}/channels?session_id={uuid.uuid4()}"


def _kernel_socket(url: str) -> str:
    return url.replace("http", "ws") + _kernel_path()


def _raw_upgrade(url: str, host: str) -> int:
    """The status of a websocket upgrade sent with exactly this ``Host`` header."""
    address, port = url.removeprefix("http://").split(":")
    request = (
        f"GET {_kernel_path()} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    )
    with socket.create_connection((address, int(port)), timeout=10) as conn:
        conn.sendall(request.encode())
        status_line = conn.recv(4096).split(b"\r\n", 1)[0].decode()
    return int(status_line.split()[1])


def test_no_request_changes_the_asset_bundle(tmp_path):
    # First on a copy of the bundle, so a regression cannot damage the real install.
    copy = tmp_path / "cdn"
    shutil.copytree(_install_cdn() / BUNDLE, copy / BUNDLE)
    (copy / "requirejs@2.3.6").mkdir()
    (copy / "requirejs@2.3.6" / "require.js").write_text("// a copy\n")
    before = _tree_hash(copy)
    with serving(tmp_path / "copy.log", SOLARA_ASSETS_PROXY_CACHE_DIR=str(copy)) as url:
        statuses = _hostile_requests(url)
        served = requests.get(f"{url}/_solara/cdn/{BUNDLE}/package.json", timeout=30)
    assert _tree_hash(copy) == before, "a request changed the served bundle"
    assert all(status in (403, 404, 405) for status in statuses), statuses
    assert served.status_code == 200
    assert served.content == (copy / BUNDLE / "package.json").read_bytes()

    # Then the install itself, as `wom app` serves it.
    install = _install_cdn()
    before = _tree_hash(install / BUNDLE), sorted(p.name for p in install.iterdir())
    with serving(tmp_path / "install.log") as url:
        statuses = _hostile_requests(url)
        page = requests.get(url + "/", timeout=60)
        script = requests.get(f"{url}/_solara/cdn/requirejs@2.3.6/require.js", timeout=30)
    assert (_tree_hash(install / BUNDLE), sorted(p.name for p in install.iterdir())) == before
    assert all(status in (403, 404, 405) for status in statuses), statuses
    assert page.status_code == 200
    assert f"{BUNDLE}/dist/" in page.text  # the page loads its app from the local copy
    assert script.status_code == 200
    assert "immutable" in script.headers["cache-control"]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    with serving(tmp_path_factory.mktemp("app") / "server.log") as url:
        yield url


def test_a_foreign_host_is_refused_everywhere(server):
    port = server.rsplit(":", 1)[1]
    for host in ("evil.example", f"evil.example:{port}", "127.0.0.1:1", "localhost.evil.example"):
        for path in ("/", "/readyz", f"/_solara/cdn/{BUNDLE}/package.json", "/static/x.js"):
            response = requests.get(server + path, headers={"Host": host}, timeout=30)
            assert response.status_code == 403, (host, path)
            assert "not an address of this server" in response.text
        assert _raw_upgrade(server, host) == 403, host
    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
        assert requests.get(server + "/", headers={"Host": host}, timeout=60).status_code == 200
        assert _raw_upgrade(server, host) == 101, host


def test_a_foreign_origin_cannot_open_the_kernel_websocket(server):
    for origin in ("http://evil.example", "null", "http://127.0.0.1:1", "https://127.0.0.1"):
        with pytest.raises(InvalidStatus) as refused:
            connect(_kernel_socket(server), origin=origin, open_timeout=10)
        assert refused.value.response.status_code == 403, origin
        response = requests.post(
            f"{server}/_solara/api/close/{uuid.uuid4()}", headers={"Origin": origin}, timeout=30
        )
        assert response.status_code == 403
    # The app's own origin, and a client that sends none (not a browser), are let in.
    for origin in (server, server.replace("127.0.0.1", "localhost"), None):
        with connect(_kernel_socket(server), origin=origin, open_timeout=30) as ws:
            assert ws.protocol.state.name == "OPEN"


def test_cross_site_sub_requests_are_refused_but_links_work(server):
    image = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"}
    response = requests.get(f"{server}/_solara/cdn/{BUNDLE}/", headers=image, timeout=30)
    assert response.status_code == 403
    link = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}
    assert requests.get(server + "/", headers=link, timeout=60).status_code == 200
    same = {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "no-cors"}
    path = f"{server}/_solara/cdn/{BUNDLE}/package.json"
    assert requests.get(path, headers=same, timeout=30).status_code == 200


def test_the_access_token_guards_every_request(tmp_path):
    token = "correct-horse-battery"
    with serving(tmp_path / "token.log", WOM_APP_TOKEN=token) as url:
        for path in ("/", "/readyz", f"/_solara/cdn/{BUNDLE}/package.json", "/?token=wrong"):
            response = requests.get(url + path, timeout=30, allow_redirects=False)
            assert response.status_code == 401, path
            assert "access token" in response.text
        with pytest.raises(InvalidStatus) as refused:
            connect(_kernel_socket(url), origin=url, open_timeout=10)
        assert refused.value.response.status_code == 403

        first = requests.get(f"{url}/?token={token}", timeout=30, allow_redirects=False)
        assert first.status_code == 303
        assert first.headers["location"] == "/"
        assert "HttpOnly" in first.headers["set-cookie"]
        assert token not in first.headers["set-cookie"]
        session = requests.Session()
        assert session.get(f"{url}/?token={token}", timeout=60).status_code == 200
        assert session.get(url + "/", timeout=60).status_code == 200
        cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
        with connect(
            _kernel_socket(url), origin=url, additional_headers={"Cookie": cookie}, open_timeout=30
        ) as ws:
            assert ws.protocol.state.name == "OPEN"
        bearer = {"Authorization": f"Bearer {token}"}
        assert requests.get(url + "/readyz", headers=bearer, timeout=30).status_code == 200
        # The token does not excuse a foreign Host.
        foreign = {**bearer, "Host": "evil.example"}
        assert requests.get(url + "/", headers=foreign, timeout=30).status_code == 403


# --------------------------------------------------------------------------- wom app


@pytest.mark.parametrize(
    ("host", "token", "warned"),
    [
        ("127.0.0.1", None, False),
        ("localhost", None, False),
        ("::1", None, False),
        ("0.0.0.0", None, True),
        ("192.168.1.20", None, True),
        ("0.0.0.0", "secret-token", True),
    ],
)
def test_wom_app_warns_when_serving_beyond_this_machine(monkeypatch, host, token, warned):
    from simulation.cli import main

    started = {}

    def call(command, env):
        started.update(command=command, env=env)
        return 0

    monkeypatch.setattr(subprocess, "call", call)
    monkeypatch.delenv("WOM_APP_TOKEN", raising=False)
    args = ["app", "--host", host, "--no-open"] + (["--auth-token", token] if token else [])
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert ("warning:" in result.output) is warned
    if warned and not token:
        assert "--auth-token" in result.output
        assert exposure_warning(host, None) in result.output
    assert started["env"].get("WOM_APP_TOKEN", "") == (token or "")
    assert token is None or f"?token={token}" in result.output
    assert token is None or token not in " ".join(started["command"])


def test_a_short_token_is_refused(monkeypatch):
    from simulation.cli import main

    monkeypatch.setattr(subprocess, "call", lambda *a, **k: 0)
    result = CliRunner().invoke(main, ["app", "--auth-token", "abc", "--no-open"])
    assert result.exit_code == 2
    assert "at least 8" in result.output


# --------------------------------------------------------------------------- errors in the page


def test_an_error_in_the_page_shows_a_message_and_logs_the_traceback(caplog, monkeypatch):
    import ipyvuetify as v
    import solara

    monkeypatch.setenv("WOM_APP_TARGET", "simulation.ui.page")
    from simulation.ui.served import SafePage

    secret = os.path.join("/srv", "secret", "path.py")

    @solara.component
    def Broken():  # noqa: N802 - a component, named as one
        def fail():
            raise RuntimeError(f"failed in {secret}")

        solara.Button("Go", on_click=fail)

    caplog.set_level(logging.ERROR, logger="wom.app")
    _box, rc = solara.render(SafePage(page=Broken), handle_error=False)
    rc.find(v.Btn, children=["Go"]).widget.click()
    shown = " ".join(str(w.children) for w in rc.find(v.Alert).widgets)
    assert "Something went wrong" in shown
    assert secret not in shown
    assert "Traceback" not in shown
    record = next(r for r in caplog.records if r.name == "wom.app")
    assert record.exc_info is not None
    assert secret in str(record.exc_info[1])
    reference = record.getMessage().split()[1]
    assert reference in shown
    rc.find(v.Btn, children=["Continue"]).widget.click()
    assert rc.find(v.Btn, children=["Go"]).widgets
    rc.close()


# --------------------------------------------------------------------------- addresses


def test_allowed_hosts_are_the_served_address_and_loopback_only():
    from simulation.ui.server import allowed_hosts, is_loopback

    local = allowed_hosts("127.0.0.1", 8765)
    assert {("127.0.0.1", 8765), ("localhost", 8765), ("::1", 8765)} <= local
    assert not any(port != 8765 for _, port in local)
    assert ("evil.example", 8765) not in local
    assert socket.gethostname().lower() not in {name for name, _ in local}
    everywhere = allowed_hosts("0.0.0.0", 8765)
    assert (socket.gethostname().lower(), 8765) in everywhere
    proxied = allowed_hosts("127.0.0.1", 8765, ["app.example.org:443", "Other.Example"])
    assert {("app.example.org", 443), ("other.example", 8765)} <= proxied
    assert [is_loopback(h) for h in ("127.0.0.2", "::1", "[::1]", "localhost", "0.0.0.0")] == [
        True,
        True,
        True,
        True,
        False,
    ]
