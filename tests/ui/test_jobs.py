"""Background jobs: cancelled only between pieces of work, never inside them; bounded; warm-up."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import solara

from simulation.ui import jobs, warmup
from simulation.ui.jobs import Cancelled, JobState

LAUNCH = Path(__file__).resolve().parents[2] / "scenarios" / "launch.toml"


def _wait(target: solara.Reactive[JobState], timeout: float = 60.0) -> JobState:
    deadline = time.time() + timeout
    while time.time() < deadline and target.value.busy:
        time.sleep(0.02)
    return target.value


def test_a_job_runs_and_reports_progress_and_its_result():
    target = solara.reactive(JobState())
    seen = []

    def work(report):
        for i in range(1, 4):
            report(i, 3)
            seen.append(target.value.progress)
        return 42

    jobs.start(target, work, inputs="x")
    state = _wait(target)
    assert state.status == "done"
    assert state.result == 42
    assert state.inputs == "x"
    assert seen == [1 / 3, 2 / 3, 1.0]


def test_cancel_waits_for_the_piece_of_work_in_progress_to_end():
    """A cancelled job finishes what it is doing (a compile, a batch) and stops at its report."""
    target = solara.reactive(JobState())
    inside, finished_piece = threading.Event(), threading.Event()
    pieces = []

    def work(report):
        report(0, 2)
        inside.set()
        time.sleep(0.5)  # uninterruptible work, as a kernel call is
        pieces.append(1)
        finished_piece.set()
        report(1, 2)
        pieces.append(2)  # never reached: the job was cancelled
        return "never"

    jobs.start(target, work)
    assert inside.wait(30)
    jobs.cancel(target.value)
    state = _wait(target)
    assert finished_piece.is_set()
    assert pieces == [1]
    assert state.status == "cancelled"
    assert state.result is None


def test_a_new_job_replaces_the_old_one_whose_result_is_never_shown():
    target = solara.reactive(JobState())
    release = threading.Event()

    def slow(report):
        release.wait(30)
        return "old"

    first = jobs.start(target, slow, inputs="old")
    time.sleep(0.2)
    second = jobs.start(target, lambda report: "new", inputs="new")
    assert second > first
    release.set()
    state = _wait(target)
    time.sleep(0.3)  # let the old job end: it must not overwrite the new result
    assert target.value.result == "new"
    assert target.value.inputs == "new"
    assert state.token == second


def test_errors_become_a_failed_state_not_an_exception_in_the_page():
    target = solara.reactive(JobState())

    def broken(report):
        raise ValueError("boom")

    jobs.start(target, broken)
    state = _wait(target)
    assert state.status == "failed"
    assert isinstance(state.error, ValueError)


def test_at_most_max_concurrent_jobs_run_at_once():
    running, most = [0], [0]
    lock = threading.Lock()
    release = threading.Event()

    def work(report):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        release.wait(30)
        with lock:
            running[0] -= 1
        return True

    targets = [solara.reactive(JobState()) for _ in range(jobs.MAX_CONCURRENT + 2)]
    for target in targets:
        jobs.start(target, work)
    time.sleep(1.0)
    assert most[0] == jobs.MAX_CONCURRENT
    queued = [t.value for t in targets if t.value.status == "waiting"]
    assert len(queued) == 2
    assert all("waiting for other runs" in s.note for s in queued)
    release.set()
    assert all(_wait(t).status == "done" for t in targets)
    assert most[0] == jobs.MAX_CONCURRENT


def test_a_queued_job_can_be_cancelled_while_it_waits():
    release = threading.Event()
    blockers = [solara.reactive(JobState()) for _ in range(jobs.MAX_CONCURRENT)]
    for target in blockers:
        jobs.start(target, lambda report: release.wait(30))
    waiting = solara.reactive(JobState())
    jobs.start(waiting, lambda report: "ran")
    time.sleep(0.5)
    assert waiting.value.status == "waiting"
    jobs.cancel(waiting.value)
    assert _wait(waiting, 5).status == "cancelled"
    release.set()
    for target in blockers:
        _wait(target)


def test_cancelled_is_raised_by_report_only():
    target = solara.reactive(JobState())
    raised = []

    def work(report):
        jobs.cancel(target.value)
        try:
            report(1, 2)
        except Cancelled:
            raised.append(True)
            raise

    jobs.start(target, work)
    assert _wait(target).status == "cancelled"
    assert raised == [True]


def test_warm_up_shrinks_a_scenario_but_keeps_its_features():
    data = {
        "name": "x",
        "steps": 100,
        "runs": 500,
        "network": {"kind": "barabasi_albert", "n": 100_000, "m": 3},
        "seeding": {"strategy": "celf", "budget": 50, "mc_runs": 1000},
        "ads": [{"spend_per_step": 1.0, "cpm": 2.0}],
    }
    small = warmup.tiny(data)
    assert small["network"]["n"] <= 300
    assert small["steps"] <= 6
    assert small["seeding"] == {"strategy": "celf", "budget": 5, "mc_runs": 20}
    assert small["ads"] == data["ads"]
    assert data["network"]["n"] == 100_000  # the original is untouched


def test_warm_up_compiles_every_ready_made_scenario():
    warmup.start()
    assert warmup.wait(600)
    done, total = warmup.progress()
    assert done == total > 0
    assert warmup.error() is None


def test_the_live_model_is_built_only_once_its_tab_is_opened():

    from simulation.scenario import load_scenario
    from simulation.ui import live_view
    from simulation.ui.live_view import LiveView

    live_view.live_job.set(JobState())
    scenario = load_scenario(LAUNCH).with_overrides({"network.n": 500})
    _box, rc = solara.render(LiveView(scenario, active=False), handle_error=False)
    time.sleep(0.5)
    assert live_view.live_job.value.status == "idle"  # hidden tab: nothing built
    rc.render(LiveView(scenario, active=True))
    state = _wait(live_view.live_job, 120)
    assert state.status == "done"
    assert state.result.people == 500
    rc.close()


def test_a_comparison_is_cancelled_between_batches():

    from simulation.scenario import load_scenario
    from simulation.ui import compare_view
    from simulation.ui.comparison import Variant

    scenario = load_scenario(LAUNCH).with_overrides({"network.n": 3000})
    batches = []
    original = compare_view.run_comparison

    def counted(*args, **kwargs):
        report = kwargs["progress"]

        def spy(done, total):
            batches.append(done)
            if len(batches) == 2:
                jobs.cancel(compare_view.compare_job.value)
            report(done, total)

        kwargs["progress"] = spy
        return original(*args, **kwargs)

    compare_view.run_comparison = counted
    try:
        compare_view.start_comparison(scenario, [Variant("a"), Variant("b")], 400)
        state = _wait(compare_view.compare_job, 120)
    finally:
        compare_view.run_comparison = original
    assert state.status == "cancelled"
    assert len(batches) == 2  # stopped at the next batch boundary, nothing ran after it
