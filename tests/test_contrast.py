"""Text is readable: every key colour pair of static/css/app.css meets WCAG's 4.5:1 for text.

Read from the stylesheet itself (its :root variables and the badge rules), so a colour changed there is checked here.
The browser test tests/browser/test_phone_layout.py measures the same on rendered pages."""

import re
from pathlib import Path

import pytest

from tickets.models import Severity

CSS = (Path(__file__).resolve().parent.parent / "static" / "css" / "app.css").read_text()
TEXT = 4.5


def variables() -> dict[str, str]:
    root = re.search(r":root\s*\{(.*?)\}", CSS, re.S)
    assert root is not None
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", root.group(1)))


def rgb(colour: str) -> tuple[float, float, float]:
    colour = colour.lstrip("#")
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def luminance(colour: tuple[float, float, float]) -> float:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    la, lb = sorted((luminance(rgb(a) if isinstance(a, str) else a), luminance(rgb(b) if isinstance(b, str) else b)))
    return (lb + 0.05) / (la + 0.05)


def tint(colour: str, share: float) -> tuple[float, float, float]:
    """color-mix(in srgb, colour share, #fff)."""
    return tuple(share * c + (1 - share) for c in rgb(colour))  # type: ignore[return-value]


V = variables()
SIDEBAR = "#111827"
ROW_HOVER = "#fafbff"
PAIRS = [
    ("ticket reference grey on a card", V["ink-3"], V["panel"]),
    ("ticket reference grey on a hovered row", V["ink-3"], ROW_HOVER),
    ("ticket reference grey on the page", V["ink-3"], V["bg"]),
    ("secondary text on the page", V["ink-2"], V["bg"]),
    ("warning text on a card", V["warn"], V["panel"]),
    ("error text on a card", V["bad"], V["panel"]),
    ("success text on a card", V["ok"], V["panel"]),
    ("links on a card", V["brand"], V["panel"]),
    ("the focus ring on a card", V["focus"], V["panel"]),
    ("the focus ring on the page", V["focus"], V["bg"]),
    ("the focus ring in the sidebar", V["focus-on-dark"], SIDEBAR),
    ("white on the SLA badge", "#ffffff", V["bad"]),
]


@pytest.mark.parametrize(("what", "ink", "paper"), PAIRS, ids=[p[0] for p in PAIRS])
def test_key_pairs_read_at_4_5(what, ink, paper):
    assert contrast(ink, paper) >= TEXT, f"{what}: {ink} on {paper} is {contrast(ink, paper):.2f}:1"


BADGES = re.findall(r"(\.[\w-]+)\s*\{[^}]*?background:\s*(#[0-9a-fA-F]{6});\s*color:\s*(#[0-9a-fA-F]{6})", CSS)


def test_the_stylesheet_has_badges_to_check():
    assert len(BADGES) > 20


@pytest.mark.parametrize(("rule", "paper", "ink"), BADGES, ids=[b[0] for b in BADGES])
def test_badges_read_at_4_5(rule, paper, ink):
    assert contrast(ink, paper) >= TEXT, f"{rule}: {ink} on {paper} is {contrast(ink, paper):.2f}:1"


def test_the_severity_badge_reads_whatever_colour_an_admin_picks():
    share = float(re.search(r"\.sev \{[^}]*color-mix\(in srgb, var\(--sev[^)]*\) (\d+)%", CSS).group(1)) / 100
    assert re.search(r"\.sev \{[^}]*[^-]color: var\(--ink\)", CSS)
    for colour in ["#000000", "#ffffff", "#ffff00", "#00ff00", "#0000ff", "#ff0000"]:
        assert contrast(V["ink"], tint(colour, share)) >= TEXT, colour


@pytest.mark.django_db
def test_the_seeded_severities_read_on_their_badges():
    share = 0.16
    for sev in Severity.objects.all():
        assert contrast(V["ink"], tint(sev.colour, share)) >= TEXT, sev.name
