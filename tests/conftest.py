"""Shared fixtures."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the ``slow`` tests first, the browser's before the rest, else in collected order.

    With the suite on several workers (pytest-xdist, see scripts/test.sh) a long test that
    starts last leaves its worker alone at the end: the cold-start browser test, which compiles
    the whole engine from an empty cache, ran its 8 minutes after everything else. Stable, and
    after pytest's own reordering of parametrized fixtures.
    """

    def order(item: pytest.Item) -> tuple[bool, bool]:
        slow = item.get_closest_marker("slow") is not None
        return not slow, slow and item.get_closest_marker("browser") is None

    items.sort(key=order)


@pytest.fixture
def write(tmp_path: Path):
    """Write a text (or bytes) file under tmp_path and return its path."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def silent_port():
    """A TCP server on 127.0.0.1 that accepts connections and never says anything."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(5)
    for conn in accepted:
        conn.close()
    server.close()


@pytest.fixture(scope="module", params=["batched", "scalar"])
def kernel_path(request):
    """Run a test on each of the kernel's two paths for the cascade rule.

    ``batched``: as the engine chooses (64 replicates per traversal where
    :func:`simulation.kernel.batched.supports` says so); ``scalar``: one replicate per
    traversal everywhere. The correctness tests (theory, the independent reference, the
    invariants, Mesa == Monte Carlo) take it, so each holds on both paths, not only on the one
    the engine picks.
    """
    from simulation.kernel import batched

    if request.param == "batched":
        yield request.param
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(batched, "supports", lambda *_: False)
        yield request.param
