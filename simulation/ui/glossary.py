"""Plain-language meanings: the article's marketing vocabulary and the metrics registry.

The metric meanings are :data:`simulation.metrics.METRICS`'s own; the words below are how the
social-media-marketing article names what the model measures.
"""

from __future__ import annotations

from simulation.metrics import METRICS

__all__ = ["VOCABULARY", "metric_meaning"]

# Term -> (plain meaning, the model's metric it corresponds to).
VOCABULARY: dict[str, tuple[str, str]] = {
    "Reach": ("how many different people saw the content at least once", "reach"),
    "Impressions": ("how many times it was seen, counting every view", "impressions"),
    "Engagement": (
        "likes and comments: people reacting to it (shares and clicks are counted apart, as "
        "shares and clicks)",
        "engagements",
    ),
    "Earned media": (
        "exposure the brand did not pay for: people sharing it with their own followers "
        "(word of mouth)",
        "shares",
    ),
    "Virality": (
        "how far it travels from person to person rather than from one big broadcast; "
        "measured by structural virality (about 2 = a broadcast, larger = long chains of shares)",
        "structural_virality",
    ),
    "Conversion": ("a purchase that followed a click through to the shop", "conversions"),
    "Seeds": ("the people who post first, often influencers the brand pays", "sharers"),
    "Referral": ("a click to the shop that came from someone's share", "clicks"),
    "Earned media value (EMV)": (
        "what the earned impressions would have cost as ads: earned impressions / 1,000 x a "
        "CPM. The CPM is money.cpm, else the mean CPM of the brand's ads; with neither it is "
        "0, so EMV is 0 until you set money.cpm (Money section)",
        "earned_media_value",
    ),
    "ROI": ("return on investment: (revenue - cost) / cost; none when nothing is spent", "roi"),
}


def metric_meaning(name: str) -> str:
    """A metric's meaning, from the metrics registry (per-segment metrics named as such)."""
    if name in METRICS:
        return METRICS[name].meaning
    base, _, segment = name.partition("[")
    if base in METRICS and segment:
        return f"{METRICS[base].meaning}, in segment {segment.rstrip(']')}"
    return ""
