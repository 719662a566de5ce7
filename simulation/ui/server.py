"""How ``wom app`` serves the Solara app: offline, read-only, and only to the address it serves.

``wom app`` runs ``python -m simulation.ui.server run APP --host H --port P --production``,
which starts Solara's Starlette app under uvicorn (as ``solara run`` does) with three changes:

- The offline copy of Solara's CDN (the ``solara-assets`` bundle inside the install) is served
  read-only (:class:`ReadOnlyAssets`). Solara's own asset proxy fetches missing files from the
  internet into that folder and deletes a folder when asked for it as a file, so one GET of
  ``/_solara/cdn/@widgetti/solara-vuetify-app@10.1.1/`` used to delete the app's bundle.
- Every request and the kernel websocket go through :class:`Guard`: the ``Host`` header must be
  an address this server is served at (DNS rebinding), an ``Origin`` must be one too (cross-site
  websocket hijacking), cross-site requests other than a top-level navigation are refused
  (``Sec-Fetch-Site``), and with an access token (``wom app --auth-token``, or
  ``WOM_APP_TOKEN``) every request needs it: ``?token=...`` once (it is then kept in a cookie),
  or an ``Authorization: Bearer`` header.
- The page is wrapped in an error boundary (:mod:`simulation.ui.served`): an error shows a short
  message, the traceback goes to the server's log, never to the page.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import hmac
import ipaddress
import logging
import os
import re
import socket
import sys
import threading
import time
import webbrowser
from collections.abc import Iterable
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

__all__ = [
    "Guard",
    "ReadOnlyAssets",
    "allowed_hosts",
    "app_command",
    "app_environment",
    "app_target",
    "exposure_warning",
    "is_loopback",
    "main",
]

logger = logging.getLogger("wom.app")

TOKEN_ENV = "WOM_APP_TOKEN"
ALLOWED_HOSTS_ENV = "WOM_APP_ALLOWED_HOSTS"
COOKIE = "wom_app_token"
CDN_PATH = "/_solara/cdn"
_EXACT_VERSION = re.compile(r"@\d+\.\d+\.\d+(?:[-+][\w.]+)?/")
_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def app_target() -> str:
    """The repository's ``app.py`` (editable install), else the page module itself."""
    app = Path(__file__).resolve().parents[2] / "app.py"
    return str(app) if app.is_file() else "simulation.ui.page"


def app_environment(results: Path | None = None, token: str | None = None) -> dict[str, str]:
    """The server's environment: assets from the local copy, no telemetry, the results root.

    Args:
        results: The folder whose sweeps the app may open.
        token: The access token every request must carry (``None``: the caller's
            ``WOM_APP_TOKEN``, if any).
    """
    env = dict(os.environ)
    # Solara's pages load their JavaScript and CSS from /_solara/cdn, which this server maps
    # read-only onto solara-assets' local copy of the CDN.
    env.setdefault("SOLARA_ASSETS_PROXY", "True")
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    env.setdefault("SOLARA_THEME_TITLE", "Word of mouth")
    env.setdefault("SOLARA_THEME_SHOW_BANNER", "False")
    if results is not None:
        env["WOM_RESULTS_ROOT"] = str(Path(results).resolve())
    if token is not None:
        env[TOKEN_ENV] = token
    return env


def app_command(*, host: str, port: int, open_browser: bool = False) -> list[str]:
    """The server's command line (the token, if any, travels in the environment)."""
    return [
        sys.executable,
        "-m",
        "simulation.ui.server",
        "run",
        app_target(),
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--open" if open_browser else "--no-open",
    ]


# --------------------------------------------------------------------------- addresses


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine only (``127.0.0.0/8``, ``::1``, ``localhost``)."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, token: str | None) -> str | None:
    """The warning ``wom app --host`` prints for an address other machines can reach."""
    if is_loopback(host):
        return None
    where = "every network this machine is on" if host in ("0.0.0.0", "::", "") else host
    if token:
        return (
            f"--host {host} serves the app to {where}; every request needs the access token, "
            "and the traffic is not encrypted (plain HTTP)"
        )
    return (
        f"--host {host} serves the app to {where}, without a password: anyone who can reach "
        "this port can run simulations here and read the sweeps under the results folder. "
        "Protect it with --auth-token TOKEN (or WOM_APP_TOKEN), or serve on 127.0.0.1"
    )


def _local_addresses() -> set[str]:
    names = {socket.gethostname().lower(), socket.getfqdn().lower()}
    try:
        import psutil

        for addresses in psutil.net_if_addrs().values():
            for address in addresses:
                if address.family in (socket.AF_INET, socket.AF_INET6):
                    names.add(address.address.split("%")[0].lower())
    except Exception:  # psutil missing or refused: fall back to the resolver
        try:
            for info in socket.getaddrinfo(socket.gethostname(), None):
                names.add(str(info[4][0]).lower())
        except OSError:
            pass
    return names


def allowed_hosts(host: str, port: int, extra: Iterable[str] = ()) -> set[tuple[str, int]]:
    """The (host name, port) pairs a request's ``Host`` and ``Origin`` may name.

    The served address and the loopback names; for a wildcard address (``0.0.0.0``, ``::``)
    also this machine's names and interface addresses; and ``extra`` (``NAME`` or
    ``NAME:PORT``, e.g. the name of a reverse proxy in front of the app).
    """
    names = {host.strip("[]").lower(), *_LOOPBACK_NAMES}
    if host in ("0.0.0.0", "::", ""):
        names |= _local_addresses()
    pairs = {(name, port) for name in names}
    for entry in extra:
        entry = entry.strip().lower()
        if not entry:
            continue
        name, extra_port = _split_host(entry)
        pairs.add((name, extra_port if extra_port is not None else port))
    return pairs


def _split_host(text: str) -> tuple[str, int | None]:
    """``name:port``, ``[v6]:port`` or a bare name -> (name, port or None)."""
    text = text.strip().lower()
    if text.startswith("["):
        name, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        name, _, port = text.partition(":")
    else:
        name, port = text, ""
    if port and not port.isdigit():
        raise ValueError(text)
    return name, int(port) if port else None


# --------------------------------------------------------------------------- the guard


class Guard:
    """ASGI middleware: refuse foreign ``Host`` and ``Origin``, and requests without the token.

    Args:
        app: The ASGI app to protect (Solara's Starlette app).
        allowed: The (host, port) pairs this server is reached at (:func:`allowed_hosts`).
        token: The access token, or ``None`` for none.
    """

    def __init__(self, app: Any, *, allowed: set[tuple[str, int]], token: str | None) -> None:
        self.app = app
        self.allowed = allowed
        self.token = token or None
        self.cookie_value = (
            hmac.new(self.token.encode(), b"wom-app-cookie", hashlib.sha256).hexdigest()
            if self.token
            else None
        )

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        """Pass the request on, or answer it with a refusal."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        reason = self._foreign(scope, headers)
        if reason is not None:
            logger.warning("refused %s %s: %s", scope["type"], scope.get("path"), reason)
            await self._refuse(scope, send, 403, reason)
            return
        if self.token is None:
            await self.app(scope, receive, send)
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if self._authorised(headers):
            await self.app(scope, receive, send)
        elif self._same(query.get("token")):
            if scope["type"] == "websocket":
                await self.app(scope, receive, send)
            else:
                await self._welcome(scope, send, query)
        else:
            logger.warning("refused %s %s: no access token", scope["type"], scope.get("path"))
            await self._refuse(
                scope,
                send,
                401,
                "this app needs its access token: open the address `wom app` printed "
                "(it ends in ?token=...)",
            )

    def _foreign(self, scope: dict, headers: dict[str, str]) -> str | None:
        """Why the request comes from somewhere it must not, or ``None``."""
        try:
            name, port = _split_host(headers.get("host", ""))
        except ValueError:
            return "malformed Host header"
        if not name:
            return "no Host header"
        if port is None:
            port = 443 if scope.get("scheme") in ("https", "wss") else 80
        if (name, port) not in self.allowed:
            return f"Host {headers['host']!r} is not an address of this server"
        origin = headers.get("origin")
        if origin is not None:
            parts = urlsplit(origin)
            try:
                origin_port = parts.port or (443 if parts.scheme == "https" else 80)
            except ValueError:
                return f"malformed Origin {origin!r}"
            if (
                parts.scheme not in ("http", "https")
                or (
                    (parts.hostname or "").lower(),
                    origin_port,
                )
                not in self.allowed
            ):
                return f"Origin {origin!r} is not this app"
        site = headers.get("sec-fetch-site")
        if site == "cross-site" and not (
            scope["type"] == "http"
            and scope.get("method") in ("GET", "HEAD")
            and headers.get("sec-fetch-mode") == "navigate"
        ):
            return "a cross-site request (only links to the app are followed)"
        return None

    def _same(self, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(given.encode(), self.token.encode())

    def _authorised(self, headers: dict[str, str]) -> bool:
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer ") and self._same(auth[7:].strip()):
            return True
        if self._same(headers.get("x-wom-token")):
            return True
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # a malformed cookie header is no token
            return False
        value = cookie.get(COOKIE)
        return value is not None and hmac.compare_digest(
            value.value.encode(), self.cookie_value.encode()
        )

    async def _welcome(self, scope: dict, send: Any, query: dict[str, str]) -> None:
        """The first visit with ``?token=``: keep it in a cookie, go on without it in the URL."""
        rest = urlencode({k: v for k, v in query.items() if k != "token"})
        location = scope.get("root_path", "") + scope["path"] + (f"?{rest}" if rest else "")
        cookie = f"{COOKIE}={self.cookie_value}; Path=/; HttpOnly; SameSite=Lax"
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [
                    (b"location", location.encode("latin-1")),
                    (b"set-cookie", cookie.encode("latin-1")),
                    (b"cache-control", b"no-store"),
                    (b"content-length", b"0"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    async def _refuse(self, scope: dict, send: Any, status: int, reason: str) -> None:
        if scope["type"] == "websocket":
            # Closing before accepting makes the server answer the upgrade with 403.
            await send({"type": "websocket.close", "code": 1008, "reason": reason[:120]})
            return
        body = f"{status} {'Forbidden' if status == 403 else 'Unauthorized'}: {reason}\n"
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body.encode())).encode()),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body.encode()})


# --------------------------------------------------------------------------- assets


def _read_only_assets_class() -> type:
    from starlette.staticfiles import StaticFiles

    class _ReadOnlyAssets(StaticFiles):
        """Solara's ``/_solara/cdn`` served from a folder, read-only: never fetched or deleted.

        A path of one part (``pkg@1.2.3``) is that package's ``__main.js``, as Solara's proxy
        stores it; a folder is not found; anything else is a file under the folder or not
        found. Exact versions are cached by browsers for a year, as Solara's proxy does.
        """

        def __init__(self, directory: Path) -> None:
            super().__init__(directory=directory, check_dir=False)

        def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
            path = path.replace("\\", "/")
            if path and "/" not in path.strip("/"):
                path = f"{path.strip('/')}/__main.js"
            full, found = super().lookup_path(path)
            if found is not None and not os.path.isfile(full):
                return "", None
            return full, found

        async def get_response(self, path: str, scope: dict) -> Any:
            response = await super().get_response(path, scope)
            if response.status_code in (200, 304) and _EXACT_VERSION.search(path):
                response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
            return response

    return _ReadOnlyAssets


def ReadOnlyAssets(directory: Path) -> Any:
    """An ASGI app serving ``directory`` as Solara's CDN copy, read-only (see the module)."""
    return _read_only_assets_class()(directory)


def _confine_assets(app: Any) -> bool:
    """Replace Solara's writing asset proxy with :func:`ReadOnlyAssets`; True if it was there."""
    from solara.server import settings
    from starlette.routing import Mount

    routes = app.router.routes
    for index, route in enumerate(routes):
        if isinstance(route, Mount) and route.path == CDN_PATH:
            routes[index] = Mount(CDN_PATH, app=ReadOnlyAssets(settings.assets.proxy_cache_dir))
            return True
    return False


# --------------------------------------------------------------------------- the server


def build_app(host: str, port: int, token: str | None, extra_hosts: Iterable[str] = ()) -> Any:
    """Solara's Starlette app with the assets confined and the :class:`Guard` in front."""
    import solara.server.starlette as solara_starlette

    _confine_assets(solara_starlette.app)
    return Guard(solara_starlette.app, allowed=allowed_hosts(host, port, extra_hosts), token=token)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m simulation.ui.server")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="Serve APP (a Solara app file or module).")
    run.add_argument("app")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8765)
    run.add_argument("--production", action="store_true", default=True)
    run.add_argument("--open", dest="open_browser", action="store_true")
    run.add_argument("--no-open", dest="open_browser", action="store_false")
    run.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME[:PORT]",
        help="Another Host this app is reached at (e.g. a reverse proxy); repeatable.",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Serve the app (see the module docstring); stops on Ctrl+C."""
    args = _parse(argv)
    token = os.environ.get(TOKEN_ENV) or None
    extra = [h for h in os.environ.get(ALLOWED_HOSTS_ENV, "").split(",") if h.strip()]
    extra += args.allow_host
    # The page the server runs: the app wrapped in an error boundary (simulation.ui.served).
    os.environ["WOM_APP_TARGET"] = args.app
    os.environ["SOLARA_APP"] = "simulation.ui.served"
    os.environ["SERVER_NAME"] = args.host
    os.environ["SERVER_PORT"] = str(args.port)
    import uvicorn
    from solara.__main__ import LOGGING_CONFIG
    from solara.server import settings

    settings.main.mode = "production"
    settings.telemetry.mixpanel_enable = False
    app = build_app(args.host, args.port, token, extra)
    logging_config = copy.deepcopy(LOGGING_CONFIG)
    # Refused requests and the tracebacks of errors in the page go to the server's log.
    logging_config["loggers"]["wom"] = {
        "handlers": ["default"],
        "level": "WARNING",
        "propagate": False,
    }
    config = uvicorn.Config(
        app=app, host=args.host, port=args.port, log_config=logging_config, workers=1
    )
    server = uvicorn.Server(config)
    url_host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{url_host}:{args.port}/" + (f"?token={token}" if token else "")
    if args.open_browser:

        def open_when_started() -> None:
            while not server.started:
                time.sleep(0.1)
            webbrowser.open(url)

        threading.Thread(target=open_when_started, daemon=True).start()
    server.run()


if __name__ == "__main__":
    main()
