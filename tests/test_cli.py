"""The ``wom`` command: output contract, and every kind of user mistake (exit 2, no traceback)."""

from __future__ import annotations

import json

import pytest
from helpers import ROOT, wom, wom_process

BASE = """
name = "cli test"
runs = 5
seed = 3
steps = 20

[network]
kind = "barabasi_albert"
n = 300
m = 2

[seeding]
strategy = "degree"
budget = 3
"""


def assert_user_error(result, *fragments: str) -> None:
    """Exit 2, a message naming what is wrong on stderr, no traceback, nothing on stdout."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


def test_run_json_is_one_document_with_the_contract_fields(write):
    path = write("s.toml", BASE)
    result = wom("run", str(path), "--json", "--runs", "4")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["scenario"] == "cli test"
    assert (document["runs"], document["seed"], document["nodes"]) == (4, 3, 300)
    assert document["edges"] == 2 * (300 - 2)
    sharers = document["metrics"]["sharers"]
    assert len(sharers["values"]) == 4
    assert sharers["ci95"][0] <= sharers["mean"] <= sharers["ci95"][1]
    lengths = {len(line) for line in document["timeline"].values()}
    assert len(lengths) == 1
    assert document["timeline"]["sharers"][0] == 3


def test_metrics_option_limits_the_output(write):
    path = write("s.toml", BASE)
    result = wom("run", str(path), "--json", "--metrics", "sharers,cascade_depth")
    document = json.loads(result.stdout)
    assert set(document["metrics"]) == {"sharers", "cascade_depth"}
    assert set(document["timeline"]) == {"sharers"}


def test_seed_and_run_index_fix_the_numbers(write):
    path = write("s.toml", BASE)
    first = json.loads(wom("run", str(path), "--json", "--seed", "8").stdout)
    again = json.loads(wom("run", str(path), "--json", "--seed", "8", "--runs", "2").stdout)
    other = json.loads(wom("run", str(path), "--json", "--seed", "9").stdout)
    reach = first["metrics"]["reach"]["values"]
    assert again["metrics"]["reach"]["values"] == reach[:2]
    assert other["metrics"]["reach"]["values"] != reach


def test_out_writes_json_and_csv(write, tmp_path):
    path = write("s.toml", BASE)
    assert wom("run", str(path), "--out", str(tmp_path / "r.json")).returncode == 0
    assert json.loads((tmp_path / "r.json").read_text())["runs"] == 5
    assert wom("run", str(path), "--out", str(tmp_path / "r.csv")).returncode == 0
    lines = (tmp_path / "r.csv").read_text().splitlines()
    assert lines[0].startswith("run,seed,sharers")
    assert len(lines) == 6


def test_table_is_the_default_output(write):
    result = wom("run", str(write("s.toml", BASE)))
    assert result.returncode == 0
    assert "sharers" in result.stdout
    assert "95% CI" in result.stdout


def test_validate_says_ok(write):
    result = wom("validate", str(write("s.toml", BASE)))
    assert (result.returncode, result.stdout.strip()) == (0, "ok")


def test_python_dash_m_is_the_same_command(write):
    result = wom_process("run", str(write("s.toml", BASE)), "--json", "--runs", "2")
    assert result.returncode == 0
    assert json.loads(result.stdout)["runs"] == 2


def test_a_user_mistake_in_a_real_process_has_no_traceback(write):
    path = write("bad.toml", BASE.replace("n = 300", 'n = "300"'))
    result = wom_process("run", str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "key 'network.n'" in result.stderr


def test_every_shipped_scenario_validates():
    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        result = wom("validate", str(path))
        assert result.returncode == 0, (path, result.stderr)


# --------------------------------------------------------------------------- mistakes


def line_of(text: str, needle: str) -> str:
    """``line N`` of the first line of text holding needle."""
    return f"line {[needle in line for line in text.splitlines()].index(True) + 1}"


def test_toml_syntax_error_names_the_line(write):
    text = BASE + "\n[content\nappeal = 0.3\n"
    path = write("bad.toml", text)
    result = wom("validate", str(path))
    assert_user_error(result, "bad.toml", line_of(text, "[content"), "TOML syntax error")


def test_missing_required_key(write):
    path = write("bad.toml", BASE.replace('name = "cli test"', ""))
    assert_user_error(wom("run", str(path)), "key 'name'", "required key is missing")


def test_unknown_key_suggests_the_right_one(write):
    text = BASE + "\n[content]\napeal = 0.3\n"
    path = write("bad.toml", text)
    assert_user_error(
        wom("validate", str(path)),
        "key 'content.apeal'",
        "did you mean 'appeal'",
        line_of(text, "apeal"),
    )


def test_wrong_type(write):
    path = write("bad.toml", BASE.replace("n = 300", 'n = "300"'))
    assert_user_error(wom("validate", str(path)), "key 'network.n'", "valid integer")


def test_out_of_range(write):
    path = write("bad.toml", BASE + "\n[content]\nappeal = 1.5\n")
    assert_user_error(wom("validate", str(path)), "key 'content.appeal'", "less than or equal to 1")


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ('kind = "barabasi_albert"', 'kind = "barabasi"', "unknown network kind 'barabasi'"),
        ('strategy = "degree"', 'strategy = "degre"', "did you mean 'degree'"),
        ("[seeding]", '[diffusion]\nrule = "sir"\n\n[seeding]', "key 'diffusion.rule'"),
    ],
)
def test_unknown_kind_rule_or_strategy(write, old, new, fragment):
    path = write("bad.toml", BASE.replace(old, new))
    assert_user_error(wom("validate", str(path)), fragment)


def test_unknown_seed_node(write):
    text = BASE.replace(
        'strategy = "degree"\nbudget = 3', 'strategy = "nodes"\nnodes = ["12", "9999"]'
    )
    assert_user_error(wom("validate", str(write("bad.toml", text))), "seeding.nodes", "'9999'")


def test_budget_above_population(write):
    text = BASE.replace("budget = 3", "budget = 301")
    assert_user_error(
        wom("run", str(write("bad.toml", text))), "seeding.budget", "301", "300 people"
    )


def test_budget_above_segment(write):
    text = BASE.replace("budget = 3", 'budget = 200\nsegment = "fans"') + (
        '\n[[segments]]\nname = "fans"\nshare = 0.5\n[[segments]]\nname = "rest"\nshare = 0.5\n'
    )
    assert_user_error(wom("run", str(write("bad.toml", text))), "segment 'fans'", "150 people")


def test_missing_edge_list_file(write):
    text = BASE.replace(
        'kind = "barabasi_albert"\nn = 300\nm = 2', 'kind = "edge_list"\npath = "nope.txt"'
    )
    assert_user_error(wom("validate", str(write("bad.toml", text))), "nope.txt", "not found")


def test_malformed_edge_list_names_its_line(write):
    write("ties.txt", "# a comment\na b\nb c 0.5\nc d e f\n")
    text = BASE.replace(
        'kind = "barabasi_albert"\nn = 300\nm = 2', 'kind = "edge_list"\npath = "ties.txt"'
    )
    text = text.replace("budget = 3", "budget = 1")
    assert_user_error(wom("run", str(write("bad.toml", text))), "ties.txt, line 4", "4 fields")


def test_edge_list_with_bad_weight(write):
    write("ties.txt", "a b\nb c heavy\n")
    text = BASE.replace(
        'kind = "barabasi_albert"\nn = 300\nm = 2', 'kind = "edge_list"\npath = "ties.txt"'
    )
    assert_user_error(wom("validate", str(write("bad.toml", text))), "line 2", "not a number")


def test_binary_scenario_file(write):
    path = write("bad.toml", b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    assert_user_error(wom("validate", str(path)), "binary file")


def test_binary_edge_list(write):
    write("ties.bin", b"\x00\x01\x02\x03")
    text = BASE.replace(
        'kind = "barabasi_albert"\nn = 300\nm = 2', 'kind = "edge_list"\npath = "ties.bin"'
    )
    assert_user_error(wom("validate", str(write("bad.toml", text))), "ties.bin", "binary file")


def test_missing_scenario_file(tmp_path):
    assert_user_error(wom("run", str(tmp_path / "absent.toml")), "absent.toml", "file not found")


@pytest.mark.parametrize("steps", ["0", "-3"])
def test_steps_must_be_positive_on_the_command_line(write, steps):
    assert_user_error(wom("run", str(write("s.toml", BASE)), "--steps", steps), "--steps")


def test_steps_must_be_positive_in_the_file(write):
    path = write("bad.toml", BASE.replace("steps = 20", "steps = 0"))
    assert_user_error(wom("run", str(path)), "key 'steps'", "greater than or equal to 1")


def test_unknown_metric(write):
    result = wom("run", str(write("s.toml", BASE)), "--metrics", "sharers,reech")
    assert_user_error(result, "unknown metric 'reech'", "did you mean 'reach'")


def test_every_problem_is_listed_at_once(write):
    text = (
        BASE.replace("n = 300", "n = -1").replace('name = "cli test"', "")
        + "\n[content]\nappeal = 2\n"
    )
    result = wom("validate", str(write("bad.toml", text)))
    assert_user_error(result, "key 'name'", "key 'network.n'", "key 'content.appeal'")
