"""Every campaign key's bad values: exit 2, a message naming the key, no traceback."""

from __future__ import annotations

import pytest
from helpers import wom

BASE = """
name = "campaign keys"
runs = 3
steps = 10

[network]
kind = "barabasi_albert"
n = 200
m = 2

[seeding]
strategy = "random"
budget = 3

[[segments]]
name = "young"
share = 0.5

[[segments]]
name = "old"
share = 0.5
"""

CASES = {
    # [[posts]]
    "post without a name": ("[[posts]]\nstart = 2\n", ["posts[0].name", "missing"]),
    "post name with brackets": ('[[posts]]\nname = "a[1]"\n', ["posts[0].name", "cannot contain"]),
    "negative post start": ('[[posts]]\nname = "a"\nstart = -1\n', ["posts[0].start"]),
    "post appeal above 1": ('[[posts]]\nname = "a"\nappeal = 1.5\n', ["posts[0].appeal"]),
    "post half-life 0": ('[[posts]]\nname = "a"\nhalf_life = 0\n', ["posts[0].half_life"]),
    "post of an unknown brand": (
        '[[posts]]\nname = "a"\nbrand = "Acme"\n',
        ["posts[0].brand", "'Acme' is not a brand"],
    ),
    "repeated post names": (
        '[[posts]]\nname = "a"\n[[posts]]\nname = "a"\n',
        ["posts", "must be unique", "repeated: a"],
    ),
    "post seeding in an unknown segment": (
        '[[posts]]\nname = "a"\n[posts.seeding]\nsegment = "kids"\n',
        ["posts[0].seeding.segment", "'kids' is not a segment"],
    ),
    "post seeding strategy unknown": (
        '[[posts]]\nname = "a"\n[posts.seeding]\nstrategy = "famous"\n',
        ["posts[0].seeding.strategy", "'famous'"],
    ),
    "misspelt post key": ('[[posts]]\nname = "a"\nstickyness = 0.2\n', ["did you mean"]),
    # [[competitors]]
    "competitor named like the brand": (
        'brand = "Stride"\n[[competitors]]\nname = "Stride"\n',
        ["competitors", "repeated: Stride"],
    ),
    "competitor content out of range": (
        '[[competitors]]\nname = "Pace"\n[competitors.content]\nappeal = 2\n',
        ["competitors[0].content.appeal"],
    ),
    "negative competitor value": (
        '[[competitors]]\nname = "Pace"\nvalue = -1.0\n',
        ["competitors[0].value"],
    ),
    "zero competitor cpm": ('[[competitors]]\nname = "Pace"\ncpm = 0.0\n', ["competitors[0].cpm"]),
    "competitor start is text": (
        '[[competitors]]\nname = "Pace"\nstart = "soon"\n',
        ["competitors[0].start"],
    ),
    # [market]
    "exclusive is text": ('[market]\nexclusive = "yes"\n', ["market.exclusive"]),
    # [[ads]]
    "ad without spend": ("[[ads]]\ncpm = 5.0\n", ["ads[0].spend_per_step", "missing"]),
    "ad with zero spend": ("[[ads]]\nspend_per_step = 0.0\ncpm = 5.0\n", ["ads[0].spend_per_step"]),
    "ad with negative cpm": ("[[ads]]\nspend_per_step = 1.0\ncpm = -5.0\n", ["ads[0].cpm"]),
    "ad with an infinite cpm": ("[[ads]]\nspend_per_step = 1.0\ncpm = inf\n", ["ads[0].cpm"]),
    "ad for an unknown segment": (
        '[[ads]]\nspend_per_step = 1.0\ncpm = 5.0\nsegment = "kids"\n',
        ["ads[0].segment", "'kids' is not a segment"],
    ),
    "ad ending before it starts": (
        "[[ads]]\nspend_per_step = 1.0\ncpm = 5.0\nstart = 5\nend = 2\n",
        ["ads[0]", "end = 2 is before start = 5"],
    ),
    "ad for an unknown post": (
        '[[ads]]\nspend_per_step = 1.0\ncpm = 5.0\npost = "teaser"\n',
        ["ads[0].post", "'teaser' is not a post"],
    ),
    "ad for an unknown brand": (
        '[[ads]]\nspend_per_step = 1.0\ncpm = 5.0\nbrand = "Acme"\n',
        ["ads[0].brand", "'Acme' is not a brand"],
    ),
    "ad before its post goes out": (
        '[[posts]]\nname = "late"\nstart = 5\n'
        '[[ads]]\nspend_per_step = 1.0\ncpm = 5.0\npost = "late"\nstart = 2\n',
        ["ads[0].start", "before the post it promotes"],
    ),
    "ad buying too many impressions": (
        "[[ads]]\nspend_per_step = 1e9\ncpm = 1.0\n",
        ["ads[0]", "impressions a step"],
    ),
    "misspelt ad key": ("[[ads]]\nspend = 1.0\ncpm = 5.0\n", ["ads[0].spend", "did you mean"]),
    # [ties]
    "unknown tie strength": ('[ties]\nstrong = "medium"\n', ["ties.strong", "'medium'"]),
    "weight ties without a threshold": (
        '[ties]\nstrong = "weight"\n',
        ["ties", "needs weight_threshold"],
    ),
    "weight ties on a generated network": (
        '[ties]\nstrong = "weight"\nweight_threshold = 2.0\n',
        ["ties.strong", "edge_list"],
    ),
    "tie visibility above 1": ("[ties]\nstrong_visibility = 2.0\n", ["ties.strong_visibility"]),
    # [crisis]
    "persistence above 1": ("[crisis]\npersistence = 1.5\n", ["crisis.persistence"]),
    "negative impact": ("[crisis]\nimpact = -0.1\n", ["crisis.impact"]),
    "response time 0": ("[crisis]\nresponse_time = 0\n", ["crisis.response_time"]),
    "negative capacity": ("[crisis]\nresponse_capacity = -1\n", ["crisis.response_capacity"]),
    "response rate is text": ('[crisis]\nresponse_rate = "high"\n', ["crisis.response_rate"]),
    "crisis about an unknown brand": (
        '[crisis]\nbrand = "Acme"\n',
        ["crisis.brand", "'Acme' is not a brand"],
    ),
    "crisis seeding budget negative": (
        "[crisis]\n[crisis.seeding]\nbudget = -1\n",
        ["crisis.seeding.budget"],
    ),
    "crisis seeding in an unknown segment": (
        '[crisis]\n[crisis.seeding]\nsegment = "kids"\n',
        ["crisis.seeding.segment"],
    ),
    "misspelt crisis key": (
        "[crisis]\nresponse_times = 2\n",
        ["crisis.response_times", "did you mean"],
    ),
    # [money] and the brand's name
    "negative value": ("[money]\nvalue = -5.0\n", ["money.value"]),
    "zero money cpm": ("[money]\ncpm = 0.0\n", ["money.cpm"]),
    "brand name with a colon": ('brand = "a:b"\n', ["brand", "cannot contain"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_campaign_key_is_a_user_error_naming_the_key(write, case):
    extra, fragments = CASES[case]
    top = extra.partition("[")[0]  # top-level keys go before the first table
    path = write("bad.toml", top + BASE + extra[len(top) :])
    result = wom("validate", str(path))
    assert result.returncode == 2, (case, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (case, fragment, result.stderr)


def test_an_ad_aimed_at_an_empty_segment_is_a_user_error(write):
    text = BASE.replace("share = 0.5\n\n[[segments]]", "share = 0.999\n\n[[segments]]").replace(
        'name = "old"\nshare = 0.5', 'name = "old"\nshare = 0.001'
    )
    path = write("empty.toml", text + '[[ads]]\nspend_per_step = 1.0\ncpm = 5.0\nsegment = "old"\n')
    result = wom("validate", str(path))
    assert result.returncode == 2, result.stderr
    assert "ads[0].segment" in result.stderr
    assert "nobody" in result.stderr


def test_a_bad_crisis_override_on_the_command_line_names_the_key(write):
    path = write("ok.toml", BASE + "[crisis]\nresponse_time = 3\n")
    assert wom("validate", str(path)).returncode == 0
    result = wom("run", str(path), "--set", "crisis.response_time=0")
    assert result.returncode == 2
    assert "crisis.response_time" in result.stderr
    good = wom("run", str(path), "--set", "crisis.response_time=1", "--json", "--runs", "2")
    assert good.returncode == 0, good.stderr
