"""Bad, extreme and hostile inputs end in a clear message and exit 2, never a crash or a hang.

Each case runs ``python -m simulation ...`` in a fresh process with a time bound and an
address-space cap of 2 GiB (the inputs of issue 15: files that are devices, FIFOs, directories,
binary or huge; TOML nested thousands deep; non-finite numbers; keys that do nothing; work and
memory far beyond the machine), and checks the exit status, that the message names the file,
key or line, and that no traceback is printed.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GIB = 1024**3

BASE = 'name = "t"\nsteps = 10\nruns = 5\n[network]\nkind = "karate"\n'


def _limits() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (2 * GIB, 2 * GIB))


@dataclass
class Case:
    """One input: the files to write, the command, and what the answer must hold."""

    args: list[str]
    files: dict[str, str | bytes] = field(default_factory=dict)
    expect: tuple[str, ...] = ()
    status: int = 2
    env: dict[str, str] = field(default_factory=dict)
    address_cap: bool = True


def _scenario(body: str, head: str = BASE) -> dict[str, str]:
    return {"s.toml": head + body}


def _edge_list_scenario(path: str) -> str:
    return f'name = "t"\n[network]\nkind = "edge_list"\npath = "{path}"\n'


def _deep_array(depth: int) -> str:
    return "[" * depth + "]" * depth


def _deep_table(depth: int) -> str:
    return "{a = " * depth + "1" + "}" * depth


CASES = {
    # --- files that are not regular text files
    "scenario is /dev/zero": Case(["validate", "/dev/zero"], expect=("/dev/zero", "device")),
    "scenario is /dev/urandom": Case(["validate", "/dev/urandom"], expect=("device",)),
    "scenario is a directory": Case(["validate", "."], expect=("directory",)),
    "experiment is /dev/zero": Case(
        ["sweep", "/dev/zero", "--out", "out"], expect=("/dev/zero", "device"), address_cap=False
    ),
    "edge list is /dev/zero": Case(
        ["validate", "s.toml"],
        files={"s.toml": _edge_list_scenario("/dev/zero")},
        expect=("/dev/zero", "device", "network.path"),
    ),
    "edge list is /dev/urandom": Case(
        ["validate", "s.toml"],
        files={"s.toml": _edge_list_scenario("/dev/urandom")},
        expect=("device", "network.path"),
    ),
    "edge list is a directory": Case(
        ["validate", "s.toml"],
        files={"s.toml": _edge_list_scenario("."), "sub/x": ""},
        expect=("directory",),
    ),
    "edge list is text then NULs": Case(
        ["validate", "s.toml"],
        files={"s.toml": _edge_list_scenario("e.txt"), "e.txt": b"a b\n" * 262144 + b"\0" * 4096},
        expect=("e.txt", "line 262145", "binary"),
    ),
    "edge list above the memory cap": Case(
        ["validate", "s.toml"],
        files={"s.toml": _edge_list_scenario("e.txt"), "e.txt": "a b\n" * 100_000},
        env={"WOM_MAX_MEMORY": "1M"},
        expect=("e.txt", "network.path", "above the limit", "WOM_MAX_MEMORY"),
    ),
    "scenario file too large": Case(
        ["validate", "s.toml"],
        files={"s.toml": BASE + "# padding\n" * 500_000},
        expect=("s.toml", "above the limit"),
    ),
    # --- TOML nested too deep (would exhaust the stack)
    "array nested 5,000 deep": Case(
        ["validate", "s.toml"],
        files=_scenario(f"[content]\nx = {_deep_array(5000)}\n"),
        expect=("s.toml", "line 7", "nested 5000 deep"),
    ),
    "inline table nested 100,000 deep": Case(
        ["validate", "s.toml"],
        files=_scenario(f"x = {_deep_table(100_000)}\n"),
        expect=("s.toml", "nested", "at most 32"),
    ),
    "--set nested 30,000 deep": Case(
        ["run", "s.toml", "--set", f"x={_deep_array(30_000)}"],
        files=_scenario(""),
        expect=("--set", "key 'x'", "nested"),
        address_cap=False,
    ),
    "experiment nested 5,000 deep": Case(
        ["sweep", "e.toml", "--out", "out"],
        files={"e.toml": f'name = "e"\nscenario = "s.toml"\n[grid]\nx = {_deep_array(5000)}\n'},
        expect=("e.toml", "line 4", "nested"),
        address_cap=False,
    ),
    "experiment sample range with inf": Case(
        ["sweep", "e.toml", "--out", "out"],
        files={
            "s.toml": BASE,
            "e.toml": 'name = "e"\nscenario = "s.toml"\n[sample]\ncount = 2\n'
            '[sample.ranges]\n"content.appeal" = [0.1, inf]\n',
        },
        expect=("e.toml", 'sample.ranges."content.appeal"', "finite"),
        address_cap=False,
    ),
    # --- numbers
    "affinity = inf": Case(
        ["validate", "s.toml"],
        files=_scenario('[[segments]]\nname = "a"\nshare = 1.0\naffinity = inf\n'),
        expect=("segments[0].affinity", "finite"),
    ),
    "half_life = inf": Case(
        ["validate", "s.toml"],
        files=_scenario("[content]\nhalf_life = inf\n"),
        expect=("content.half_life", "line 7", "finite"),
    ),
    "threshold std = inf": Case(
        ["validate", "s.toml"],
        files=_scenario(
            '[diffusion]\nrule = "threshold"\nthreshold = {distribution = "normal", std = inf}\n'
        ),
        expect=("diffusion.threshold.std", "finite"),
    ),
    "appeal = nan": Case(
        ["validate", "s.toml"],
        files=_scenario("[content]\nappeal = nan\n"),
        expect=("content.appeal",),
    ),
    # --- keys that do nothing under the chosen strategy or rule
    "epsilon under degree": Case(
        ["validate", "s.toml"],
        files=_scenario('[seeding]\nstrategy = "degree"\nbudget = 2\nepsilon = 0.1\n'),
        expect=("seeding.epsilon", "line 9", "strategy 'degree'", "strategy 'imm'"),
    ),
    "threshold keys under cascade": Case(
        ["validate", "s.toml"],
        files=_scenario('[diffusion]\nrule = "cascade"\nthreshold = 0.4\nthreshold_count = 2\n'),
        expect=("diffusion.threshold'", "diffusion.threshold_count", "rule 'threshold'"),
    ),
    "nodes under random": Case(
        ["validate", "s.toml"],
        files=_scenario('[seeding]\nstrategy = "random"\nbudget = 2\nnodes = ["1"]\n'),
        expect=("seeding.nodes", "strategy 'nodes'"),
    ),
    "normal's keys under a uniform distribution": Case(
        ["validate", "s.toml"],
        files=_scenario(
            '[diffusion]\nrule = "threshold"\nthreshold = {distribution = "uniform", mean = 0.5}\n'
        ),
        expect=("diffusion.threshold.mean", "distribution 'normal'"),
    ),
    "--set of a key that does nothing": Case(
        ["run", "s.toml", "--set", "seeding.pivots=3"],
        files=_scenario(""),
        expect=("--set", "seeding.pivots", "strategy 'betweenness'"),
        address_cap=False,
    ),
    # --- internal names and structural mistakes
    "base_dir as a key": Case(
        ["validate", "s.toml"],
        files={"s.toml": 'base_dir = "/etc"\n' + BASE},
        expect=("key 'base_dir'", "line 1", "unknown key"),
    ),
    "source as a key": Case(
        ["validate", "s.toml"],
        files={"s.toml": 'source = "x"\n' + BASE},
        expect=("key 'source'", "unknown key"),
    ),
    "nodes strategy with no nodes": Case(
        ["validate", "s.toml"],
        files=_scenario('[seeding]\nstrategy = "nodes"\nnodes = []\n'),
        expect=("warning: s.toml, key 'seeding.nodes'", "no seeds", "ok"),
        status=0,
    ),
    "duplicate seed labels": Case(
        ["validate", "s.toml"],
        files=_scenario('[seeding]\nstrategy = "nodes"\nnodes = ["1", 2, 1]\n'),
        expect=("seeding.nodes", "more than once: 1"),
    ),
    "post after the last step": Case(
        ["validate", "s.toml"],
        files=_scenario('[[posts]]\nname = "late"\nstart = 11\n'),
        expect=("warning: s.toml, key 'posts[0].start'", "after the last step", "ok"),
        status=0,
    ),
    "watts_strogatz with odd k": Case(
        ["validate", "s.toml"],
        files={
            "s.toml": 'name = "t"\n[network]\nkind = "watts_strogatz"\nn = 50\nk = 5\n'
            "rewire = 0.1\n"
        },
        expect=("key 'network'", "must be even"),
    ),
    # --- work and memory bounded before work starts
    "complete with n = 20,000": Case(
        ["validate", "s.toml"],
        files={"s.toml": 'name = "t"\n[network]\nkind = "complete"\nn = 20000\n'},
        expect=("key 'network'", "199,990,000 ties", "WOM_MAX_MEMORY"),
    ),
    "barabasi_albert with n = 50,000,000": Case(
        ["validate", "s.toml"],
        files={"s.toml": 'name = "t"\n[network]\nkind = "barabasi_albert"\nn = 50000000\nm = 1\n'},
        expect=("key 'network'", "m x (n - m)", "WOM_MAX_MEMORY"),
    ),
    "runs x steps x people": Case(
        ["validate", "s.toml"],
        files={
            "s.toml": 'name = "t"\nruns = 10000000\nsteps = 100000\n[network]\nkind = "path"\n'
            "n = 300\n"
        },
        expect=("key 'runs'", "WOM_MAX_WORK", "WOM_MAX_MEMORY"),
    ),
    "--runs beyond the schema's bound": Case(
        ["run", "s.toml", "--runs", "1000000000"],
        files=_scenario(""),
        expect=("--runs", "key 'runs'", "less than or equal to 10000000"),
        address_cap=False,
    ),
    "--runs within the bound but beyond memory": Case(
        ["run", "s.toml", "--runs", "10000000", "--metrics", "sharers"],
        files=_scenario(""),
        expect=("--runs", "key 'runs'", "WOM_MAX_MEMORY"),
        address_cap=False,
    ),
    # --- accepted inputs
    "a valid scenario": Case(["validate", "s.toml"], files=_scenario(""), expect=("ok",), status=0),
    "rich markup in the name prints literally": Case(
        ["run", "s.toml", "--runs", "2", "--metrics", "sharers"],
        files={"s.toml": BASE.replace('"t"', '"[/] [bold]x[/bold]"')},
        expect=("[/] [bold]x[/bold]: 2 runs",),
        status=0,
        address_cap=False,
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_every_bad_input_is_a_clear_error(name, tmp_path):
    case = CASES[name]
    for relative, content in case.files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "simulation", *case.args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", **case.env},
        preexec_fn=_limits if case.address_cap else None,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == case.status, output
    assert "Traceback" not in output
    for fragment in case.expect:
        assert fragment in output, (fragment, output)


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")
    os.mkfifo(tmp_path / "pipe.toml")
    (tmp_path / "s.toml").write_text(_edge_list_scenario("pipe.txt"), encoding="utf-8")
    for target in ("s.toml", "pipe.toml"):
        done = subprocess.run(
            [sys.executable, "-m", "simulation", "validate", target],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=60,
            check=False,
        )
        assert done.returncode == 2
        assert "FIFO" in done.stderr
        assert "pipe." in done.stderr
        assert "Traceback" not in done.stderr


def test_text_followed_by_gigabytes_of_nuls_is_refused_before_reading(tmp_path):
    edges = tmp_path / "e.txt"
    with edges.open("wb") as handle:
        handle.write(b"a b\n" * 262144)  # 1 MiB of text
        handle.truncate(2 * GIB + 1024**2)  # then 2 GiB of NUL bytes (a sparse file)
    (tmp_path / "s.toml").write_text(_edge_list_scenario("e.txt"), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "simulation", "validate", "s.toml"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        preexec_fn=_limits,
        check=False,
    )
    assert done.returncode == 2
    assert "e.txt" in done.stderr
    assert "above the limit" in done.stderr
    assert "WOM_MAX_MEMORY" in done.stderr
    assert "Traceback" not in done.stderr
