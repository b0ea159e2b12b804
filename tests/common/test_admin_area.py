"""What every staff list page shares (common/admin_area.py): binding its filter form, the
warnings about what the form refused, the query strings the page keeps, numbered pages."""

from django import forms
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from common.admin_area import FILTERS_IGNORED, list_filters, numbered_page
from tests.helpers import messages_of

KEYS = ("status", "q", "after")


def _no_cursor(value: str) -> None:
    if value and value != "ok":
        raise ValidationError("This page link is broken; showing the first page.")


class SampleFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "All"), ("open", "Open")], required=False)
    q = forms.CharField(required=False, max_length=10)
    after = forms.CharField(required=False, validators=[_no_cursor], widget=forms.HiddenInput)


def _get(query: str = ""):
    request = RequestFactory().get(f"/admin/sample/?{query}" if query else "/admin/sample/")
    request._messages = CookieStorage(request)
    return request


def test_without_a_query_the_form_is_unbound_and_nothing_is_kept():
    request = _get()

    listed = list_filters(request, SampleFilterForm, KEYS, paging=("after",))

    assert not listed.form.is_bound
    assert (listed.filter_query, listed.filters_without_page) == ("", "")
    assert messages_of(request) == []


def test_valid_filters_send_no_warning():
    request = _get("status=open&q=ada")

    listed = list_filters(request, SampleFilterForm, KEYS, paging=("after",))

    assert listed.form.is_valid()
    assert messages_of(request) == []


def test_refused_filters_send_one_general_warning():
    request = _get("status=bogus&q=" + "x" * 11)

    listed = list_filters(request, SampleFilterForm, KEYS, paging=("after",))

    assert messages_of(request) == [("warning", FILTERS_IGNORED)]
    assert set(listed.form.errors) == {"status", "q"}  # still shown next to their fields


def test_a_broken_paging_value_is_its_own_warning_and_no_filter_error():
    request = _get("status=open&after=junk")

    listed = list_filters(request, SampleFilterForm, KEYS, paging=("after",))

    broken = "This page link is broken; showing the first page."
    assert messages_of(request) == [("warning", broken)]
    assert "after" not in listed.form.errors


def test_a_broken_paging_value_comes_before_the_general_warning():
    request = _get("status=bogus&after=junk")

    list_filters(request, SampleFilterForm, KEYS, paging=("after",))

    assert messages_of(request) == [
        ("warning", "This page link is broken; showing the first page."),
        ("warning", FILTERS_IGNORED),
    ]


def test_the_kept_queries_hold_only_the_lists_own_keys():
    request = _get("q=ada&dialog=confirm-3&status=open&after=ok&evil=https://x.example")

    listed = list_filters(request, SampleFilterForm, KEYS, paging=("after",))

    assert listed.filter_query == "status=open&q=ada&after=ok"
    assert listed.filters_without_page == "status=open&q=ada"
    assert listed.context() == {
        "form": listed.form,
        "filter_query": "status=open&q=ada&after=ok",
        "filters_without_page": "status=open&q=ada",
        "dialog_link": "?status=open&q=ada&after=ok&dialog=",
    }


def test_a_dialog_link_without_filters_starts_the_query():
    listed = list_filters(_get(""), SampleFilterForm, KEYS)

    assert listed.context()["dialog_link"] == "?dialog="


def test_the_default_paging_key_is_page():
    request = _get("q=ada&page=3")

    listed = list_filters(request, SampleFilterForm, ("q", "page"))

    assert (listed.filter_query, listed.filters_without_page) == ("q=ada&page=3", "q=ada")


def test_a_kept_value_is_cut_to_100_characters():
    request = _get("q=" + "y" * 150)

    listed = list_filters(request, SampleFilterForm, KEYS)

    assert listed.filter_query == "q=" + "y" * 100


def test_numbered_page_names_a_page_that_is_no_number():
    request = _get("page=abc")

    page = numbered_page(request, list(range(30)), 10)

    assert page.number == 1
    assert messages_of(request) == [("warning", "There is no page “abc”; showing page 1.")]


def test_numbered_page_past_the_end_shows_the_last_page_quietly():
    request = _get("page=99")

    page = numbered_page(request, list(range(30)), 10)

    assert page.number == 3
    assert messages_of(request) == []


def test_numbered_page_cuts_a_long_value_in_its_warning():
    request = _get("page=" + "z" * 50)

    numbered_page(request, list(range(30)), 10)

    assert messages_of(request) == [("warning", f"There is no page “{'z' * 20}”; showing page 1.")]


def test_numbered_page_can_stay_quiet_about_a_broken_page():
    request = _get("page=abc")

    page = numbered_page(request, list(range(30)), 10, say_if_broken=False)

    assert page.number == 1
    assert messages_of(request) == []
