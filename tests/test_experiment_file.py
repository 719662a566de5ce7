"""The experiment file: how it expands into design points, and how its mistakes are reported."""

from __future__ import annotations

import itertools
import re
import tomllib

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from sweep_helpers import ROOT, write_experiment

from experiments.design import Sample, draw_samples, load_experiment, parse_experiment, value_label
from simulation.cli import main
from simulation.errors import ScenarioError


def test_grid_runs_every_combination_in_file_order(tmp_path):
    design = load_experiment(
        write_experiment(
            tmp_path,
            'name = "g"\n[grid]\n"content.appeal" = [0.1, 0.2, 0.3]\n'
            '"seeding.strategy" = ["random", "degree"]\n',
        )
    )
    assert [p.overrides for p in design.points] == [
        {"content.appeal": a, "seeding.strategy": s}
        for a, s in itertools.product([0.1, 0.2, 0.3], ["random", "degree"])
    ]
    assert [p.index for p in design.points] == list(range(6))
    assert design.keys == ["content.appeal", "seeding.strategy"]


def test_each_point_is_the_base_scenario_with_its_values_put_in(tmp_path):
    design = load_experiment(
        write_experiment(tmp_path, 'name = "g"\n[grid]\n"content.appeal" = [0.1, 0.7]\n')
    )
    for point in design.points:
        expected = design.base.with_overrides(point.overrides)
        assert point.scenario.to_toml_dict() == expected.to_toml_dict()
        assert point.scenario.content.appeal == point.overrides["content.appeal"]
        assert point.scenario.network == design.base.network


def test_runs_and_seed_default_to_the_scenarios(tmp_path):
    design = load_experiment(write_experiment(tmp_path, 'name = "defaults"\n'))
    assert (design.runs, design.seed) == (10, 3)
    assert len(design.points) == 1
    assert design.points[0].overrides == {}


def test_zip_lists_vary_together_and_multiply_the_grid(tmp_path):
    design = load_experiment(
        write_experiment(
            tmp_path,
            'name = "z"\nruns = 2\n[grid]\n"content.appeal" = [0.1, 0.2]\n'
            '[zip]\n"network.n" = [100, 200, 300]\n"seeding.budget" = [1, 2, 3]\n',
        )
    )
    assert len(design.points) == 6
    for point in design.points:
        assert point.overrides["seeding.budget"] * 100 == point.overrides["network.n"]
        assert point.scenario.network.n == point.overrides["network.n"]


def test_a_grid_value_may_be_a_whole_table_and_gets_a_readable_label(tmp_path):
    design = load_experiment(
        write_experiment(
            tmp_path,
            'name = "t"\n[grid]\n"network" = [{kind = "erdos_renyi", n = 50, mean_degree = 4},'
            ' {kind = "barabasi_albert", n = 50, m = 2}]\n',
        )
    )
    assert [p.scenario.network.kind for p in design.points] == ["erdos_renyi", "barabasi_albert"]
    assert design.column_kind("network") == "label"
    assert [design.cell("network", p.overrides["network"]) for p in design.points] == [
        "erdos_renyi(n=50, mean_degree=4)",
        "barabasi_albert(n=50, m=2)",
    ]
    assert value_label([1, 2]) == "[1,2]"


def test_columns_are_the_dotted_keys_unless_the_name_is_taken(tmp_path):
    design = load_experiment(
        write_experiment(
            tmp_path,
            'name = "c"\n[grid]\n"steps" = [5, 10]\n"seed" = [1, 2]\n"content.appeal" = [0, 0.5]\n',
        )
    )
    assert design.column("content.appeal") == "content.appeal"
    assert design.column("steps") == "scenario.steps"  # `steps` is also a metric
    assert design.column("seed") == "scenario.seed"  # `seed` is the replicate seed column
    assert design.column_kind("content.appeal") == "float"  # 0 and 0.5: one numeric type
    assert design.column_kind("steps") == "int"


@settings(deadline=None, max_examples=50)
@given(count=st.integers(1, 60), seed=st.integers(0, 2**32), dims=st.integers(1, 4))
def test_latin_hypercube_puts_one_point_in_each_slice_of_every_range(count, seed, dims):
    ranges = {f"k{i}": [0.0, float(i + 1)] for i in range(dims)}
    points = draw_samples(Sample(method="latin_hypercube", count=count, ranges=ranges), seed)
    assert len(points) == count
    for i, (key, (low, high)) in enumerate(ranges.items()):
        values = np.array([p[key] for p in points])
        assert ((values >= low) & (values <= high)).all()
        slices = np.floor((values - low) / (high - low) * count).astype(int)
        assert sorted(slices.tolist()) == list(range(count)), i


def test_samples_are_reproducible_and_integer_ranges_give_integers_with_both_ends():
    sample = Sample(method="random", count=400, ranges={"a": [2, 5], "b": [0.5, 0.75]})
    first, again = draw_samples(sample, 11), draw_samples(sample, 11)
    assert first == again
    assert first != draw_samples(sample, 12)
    assert {p["a"] for p in first} == {2, 3, 4, 5}
    assert all(isinstance(p["a"], int) for p in first)
    assert all(0.5 <= p["b"] <= 0.75 for p in first)


def test_sampled_points_are_validated_scenarios(tmp_path):
    design = load_experiment(
        write_experiment(
            tmp_path,
            'name = "s"\nseed = 4\n[grid]\n"seeding.budget" = [1, 2]\n'
            '[sample]\nmethod = "latin_hypercube"\ncount = 5\n'
            '[sample.ranges]\n"content.appeal" = [0.1, 0.5]\n"network.n" = [50, 80]\n',
        )
    )
    assert len(design.points) == 10
    appeals = [p.scenario.content.appeal for p in design.points]
    assert appeals[:5] == appeals[5:]  # the same samples under every grid value
    assert all(50 <= p.scenario.network.n <= 80 for p in design.points)


# --------------------------------------------------------------------------- mistakes


def _sweep_error(tmp_path, body: str, scenario: str | None = None) -> str:
    """Run ``wom sweep`` on a bad experiment: it must exit 2 with no traceback."""
    path = write_experiment(tmp_path, body, *([scenario] if scenario else []))
    result = CliRunner().invoke(main, ["sweep", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()  # nothing ran
    return result.output


def test_unknown_experiment_key_is_named_with_a_suggestion(tmp_path):
    output = _sweep_error(tmp_path, 'name = "x"\nrnus = 5\n')
    assert "experiment.toml, line 3, key 'rnus': unknown key (did you mean 'runs'?)" in output


def test_unknown_grid_key_is_named_with_its_line_and_a_suggestion(tmp_path):
    output = _sweep_error(tmp_path, 'name = "x"\n[grid]\n"content.apeal" = [0.1, 0.2]\n')
    assert (
        "experiment.toml, line 4, key 'grid.\"content.apeal\"': unknown key "
        "(did you mean 'appeal'?)" in output
    )
    assert output.count("unknown key") == 1  # once, not once per point


def test_a_grid_key_through_a_value_is_refused(tmp_path):
    output = _sweep_error(tmp_path, 'name = "x"\n[grid]\n"content.appeal.low" = [0.1]\n')
    assert "'appeal' is not a table" in output


def test_an_invalid_grid_value_names_the_key_and_the_value(tmp_path):
    output = _sweep_error(tmp_path, 'name = "x"\n[grid]\n"content.stickiness" = [0.1, 1.5, 0.2]\n')
    assert "key 'grid.\"content.stickiness\"': value 1.5 is not allowed" in output
    assert output.count("error:") == 1  # the good values are not blamed


def test_an_invalid_table_value_names_the_inner_key(tmp_path):
    output = _sweep_error(
        tmp_path, 'name = "x"\n[grid]\n"network" = [{kind = "erdos_renyi", n = 50, degree = 4}]\n'
    )
    assert "key 'grid.network'" in output
    assert "network.degree: unknown key" in output


def test_a_grid_value_that_is_not_a_list_is_refused(tmp_path):
    output = _sweep_error(tmp_path, 'name = "x"\n[grid]\n"content.appeal" = 0.2\n')
    assert "0.2 is not a list of values; write [0.2]" in output


def test_an_empty_grid_list_is_refused(tmp_path):
    output = _sweep_error(tmp_path, 'name = "x"\n[grid]\n"content.appeal" = []\n')
    assert "give at least one value" in output


def test_a_missing_scenario_file_is_named(tmp_path):
    path = tmp_path / "experiment.toml"
    path.write_text('name = "x"\nscenario = "nowhere.toml"\n')
    result = CliRunner().invoke(main, ["sweep", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "line 2, key 'scenario': scenario file 'nowhere.toml' not found" in result.output
    assert "Traceback" not in result.output


def test_a_missing_experiment_file_is_named(tmp_path):
    result = CliRunner().invoke(main, ["sweep", str(tmp_path / "no.toml"), "--out", "x"])
    assert result.exit_code == 2
    assert "no.toml: experiment file not found" in result.output


def test_a_toml_syntax_error_gives_its_line(tmp_path):
    output = _sweep_error(tmp_path, 'name = "x"\n[grid\n')
    assert "line 3" in output
    assert "TOML syntax error" in output


def test_zip_lists_of_unequal_length_are_refused(tmp_path):
    output = _sweep_error(
        tmp_path, 'name = "x"\n[zip]\n"content.appeal" = [0.1, 0.2]\n"seeding.budget" = [1]\n'
    )
    assert "line 3, key 'zip': [zip] lists must have the same length" in output
    assert "'content.appeal' has 2, 'seeding.budget' has 1" in output


def test_a_key_varied_twice_is_refused(tmp_path):
    output = _sweep_error(
        tmp_path, 'name = "x"\n[grid]\n"content.appeal" = [0.1]\n[zip]\n"content.appeal" = [0.2]\n'
    )
    assert "'content.appeal' is varied in both [grid] and [zip]" in output


@pytest.mark.parametrize(
    ("ranges", "expected"),
    [
        (
            '"content.appeal" = [0.5, 0.1]',
            "a range is [low, high] with low <= high, got [0.5, 0.1]",
        ),
        ('"content.appeal" = [0.1]', "a range is [low, high] with low <= high, got [0.1]"),
        ('"content.appeal" = [0.1, 1.5]', "bad range: its high end 1.5 is not allowed"),
        ('"content.appeal" = ["a", "b"]', 'sample.ranges."content.appeal"'),
        ('"content.apeal" = [0.1, 0.5]', "unknown key (did you mean 'appeal'?)"),
    ],
)
def test_bad_sample_ranges_are_refused(tmp_path, ranges, expected):
    output = _sweep_error(tmp_path, f'name = "x"\n[sample]\ncount = 3\n[sample.ranges]\n{ranges}\n')
    assert expected in output
    assert "line 6" in output


def test_an_unknown_sampling_method_gets_a_suggestion(tmp_path):
    output = _sweep_error(
        tmp_path,
        'name = "x"\n[sample]\nmethod = "latin"\ncount = 3\n[sample.ranges]\n'
        '"content.appeal" = [0.1, 0.5]\n',
    )
    assert "key 'sample.method'" in output
    assert "'random' or 'latin_hypercube'" in output


def test_unknown_metrics_and_report_keys_are_refused(tmp_path):
    output = _sweep_error(tmp_path, 'name = "x"\nmetrics = ["sharers", "reech"]\n')
    assert "unknown metric 'reech' (did you mean 'reach'?)" in output
    output = _sweep_error(
        tmp_path, 'name = "x"\n[grid]\n"content.appeal" = [0.1]\n[report]\nx = "content.apeal"\n'
    )
    assert (
        "key 'report.x': 'content.apeal' is not a varied key (did you mean 'content.appeal'?)"
        in (output)
    )


def test_a_point_that_is_invalid_only_as_a_whole_is_described(tmp_path):
    output = _sweep_error(
        tmp_path,
        'name = "x"\n[grid]\n"diffusion.innovation" = [0.6]\n"diffusion.imitation" = [0.6]\n',
    )
    assert "innovation + imitation = 1.2 exceeds 1" in output
    assert '"diffusion.innovation" = 0.6' in output or "diffusion.innovation = 0.6" in output


def test_errors_in_the_base_scenario_name_the_scenario_file(tmp_path):
    bad = 'name = "b"\n[network]\nkind = "erdos_renyi"\nn = 10\nmean_degree = 99\n'
    output = _sweep_error(tmp_path, 'name = "x"\n', bad)
    assert "base.toml" in output
    assert "mean_degree 99" in output


def test_load_experiment_raises_the_one_error_type(tmp_path):
    with pytest.raises(ScenarioError) as caught:
        load_experiment(write_experiment(tmp_path, 'name = ""\n'))
    assert caught.value.problems[0].key == "name"


@pytest.mark.parametrize(
    "path", sorted((ROOT / "experiments").glob("*.toml")), ids=lambda p: p.name
)
def test_the_shipped_experiments_are_valid(path):
    design = load_experiment(path)
    assert len(design.points) > 1
    assert design.experiment.report.x in design.keys
    assert design.experiment.report.by in design.keys


def test_the_readmes_example_experiment_is_valid():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Experiments and sweeps") :]
    example = tomllib.loads(re.search(r"```toml\n(.*?)```", section, re.S).group(1))
    design = parse_experiment(example, source="README.md", base_dir=ROOT / "scenarios")
    assert len(design.points) == 3 * 3 * 2 * 3 * 20


def test_a_scenario_file_given_as_an_experiment_is_recognised(tmp_path):
    result = CliRunner().invoke(
        main, ["sweep", str(ROOT / "scenarios" / "launch.toml"), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "this looks like a scenario file" in result.output
