"""The Jinja2 partials' `date` filter (config/jinja2.py) writes the formats it knows out by
hand, for speed: the text must be what Django's |date gives, in the viewer's zone."""

import zoneinfo
from datetime import UTC, datetime

import pytest
from django.utils import dateformat, timezone
from hypothesis import given
from hypothesis import strategies as st

from config.jinja2 import _FAST_FORMATS, _date

ZONES = ["UTC", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham", "Australia/Sydney"]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("format_string", sorted(_FAST_FORMATS))
@given(
    moment=st.datetimes(
        min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=st.just(UTC)
    )
)
def test_written_out_formats_match_djangos_date_filter(zone, format_string, moment):
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        expected = dateformat.format(timezone.localtime(moment), format_string)
        assert _date(moment, format_string) == expected


def test_other_formats_go_through_django():
    moment = datetime(2030, 3, 5, 7, 9, tzinfo=UTC)
    with timezone.override(zoneinfo.ZoneInfo("Asia/Kolkata")):
        assert _date(moment, "D j M, P") == "Tue 5 Mar, 12:39 p.m."


@pytest.mark.parametrize("empty", [None, ""])
def test_no_value_prints_nothing(empty):
    assert _date(empty, "Y-m-d") == ""
