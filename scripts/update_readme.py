"""Fill the README's generated blocks (scenario keys, metrics) from the schema and registry.

    python scripts/update_readme.py          # rewrite README.md
    python scripts/update_readme.py --check  # exit 1 if README.md is out of date

The same generators print through `wom keys` and `wom metrics`; tests/test_readme.py checks the
README is current, so the reference can never drift from the code.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def blocks() -> dict[str, str]:
    """Generated text of each README block, by marker name."""
    from simulation import metrics, scenario

    return {"keys": scenario.reference_markdown(), "metrics": metrics.reference_markdown()}


def render(text: str) -> str:
    """README text with every generated block replaced by its current content."""
    for name, body in blocks().items():
        pattern = re.compile(rf"(<!-- {name}:begin -->\n).*?(<!-- {name}:end -->)", re.S)
        text = pattern.sub(lambda m, body=body: m.group(1) + body + "\n" + m.group(2), text)
    return text


def main() -> int:
    """Rewrite the README (or, with --check, report whether it is current)."""
    text = README.read_text(encoding="utf-8")
    new = render(text)
    if "--check" in sys.argv:
        return 0 if new == text else 1
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
