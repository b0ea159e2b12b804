"""Text contrast of the buttons, badges and table headers as static/css/site.css colours
them, measured with WCAG's relative-luminance formula: normal-size text needs at least 4.5:1."""

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).resolve().parents[2] / "static" / "css" / "site.css").read_text()
AA_NORMAL_TEXT = 4.5


def _rules() -> dict[str, dict[str, str]]:
    """Every selector's declarations, later rules overriding earlier ones as in the cascade."""
    rules: dict[str, dict[str, str]] = {}
    text = re.sub(r"/\*.*?\*/", "", CSS, flags=re.S)
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
        declarations = dict(
            (name.strip(), value.strip())
            for name, _, value in (d.partition(":") for d in body.split(";") if ":" in d)
        )
        for selector in selectors.split(","):
            rules.setdefault(selector.strip(), {}).update(declarations)
    return rules


RULES = _rules()


def _colour(selector: str, prop: str) -> str:
    value = RULES[selector][prop]
    match = re.fullmatch(r"var\((--[\w-]+)\)", value)
    return RULES[":root"][match.group(1)] if match else value


def _luminance(hex_colour: str) -> float:
    digits = hex_colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    light, dark = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return round((light + 0.05) / (dark + 0.05), 2)


def test_the_formula_matches_known_ratios():
    assert contrast("#000", "#fff") == 21.0
    assert contrast("#fff", "#fff") == 1.0
    assert contrast("#fff", "#16a34a") == 3.3  # the Join button's former green


def test_join_button_is_a_dark_enough_green_for_white_text():
    assert _colour(".button", "color") == "#fff"
    assert _colour(".button.join", "background") == "#15803d"
    assert contrast(_colour(".button", "color"), _colour(".button.join", "background")) == 5.02


# (the rule that sets the text colour, the rule that sets the background)
SMALL_TEXT = [
    (".button", ".button"),
    (".button", ".button:hover"),
    (".button", ".button.join"),
    (".button", ".button.danger"),
    (".button.secondary", ".button.secondary"),
    (".badge-pending", ".badge-pending"),
    (".badge-confirmed", ".badge-confirmed"),
    (".badge-completed", ".badge-completed"),
    (".badge-cancelled", ".badge-cancelled"),
    (".badge-application-pending", ".badge-application-pending"),
    (".badge-application-approved", ".badge-application-approved"),
    (".badge-application-rejected", ".badge-application-rejected"),
    (".skill", ".skill"),
    ("table.sessions th", "table.sessions th"),
]


@pytest.mark.parametrize(("text_rule", "background_rule"), SMALL_TEXT)
def test_buttons_badges_and_table_headers_meet_aa_for_normal_text(
    text_rule: str, background_rule: str
):
    foreground = _colour(text_rule, "color")
    background = _colour(background_rule, "background")
    ratio = contrast(foreground, background)
    assert ratio >= AA_NORMAL_TEXT, f"{foreground} on {background} ({background_rule}): {ratio}:1"
