"""Pages for mentors and mentees: apply, edit one's profile, the directory, a profile, and
feedback on a completed session."""

import logging
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.models import ApplicationStatus
from availability.slots import next_free_slots
from bookings import selectors as session_selectors
from mentors import selectors, services
from mentors.forms import DirectoryFilterForm, FeedbackForm, MentorProfileForm

logger = logging.getLogger(__name__)

DIRECTORY_PAGE_SIZE = 12
PROFILE_SLOT_LIMIT = 6
PROFILE_REVIEWS_PAGE_SIZE = 10


# --- Applying and editing one's own profile ---------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    profile = selectors.own_profile(request.user)
    if profile is not None and profile.status != ApplicationStatus.REJECTED:
        messages.info(request, services.already_applied_message(profile))
        return redirect("mentor_profile_edit")
    form = MentorProfileForm(
        request.POST or None, initial=MentorProfileForm.initial_for(request.user, profile)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.apply_to_mentor(request.user, form.details())
        except services.MentorActionError as error:
            messages.info(request, str(error))
            return redirect("mentor_profile_edit")
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                "Thank you! Your application has been sent. We will email you once an "
                "admin has reviewed it.",
            )
            return redirect("mentor_profile_edit")
    return render(
        request,
        "mentors/profile_form.html",
        {"form": form, "profile": profile, "applying": True},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def edit_profile(request: HttpRequest) -> HttpResponse:
    profile = selectors.own_profile(request.user)
    if profile is None or profile.status == ApplicationStatus.REJECTED:
        if profile is None:
            messages.info(request, "Apply to mentor first; you can edit your profile afterwards.")
        return redirect("mentor_apply")
    form = MentorProfileForm(
        request.POST or None, initial=MentorProfileForm.initial_for(request.user, profile)
    )
    if request.method == "POST" and form.is_valid():
        old_rate = profile.hourly_rate
        try:
            profile = services.update_mentor_profile(request.user, form.details())
        except services.MentorActionError as error:
            messages.error(request, str(error))
            return redirect("mentor_apply")
        except ValidationError as error:
            form.add_error(None, error)
        else:
            saved = "Your profile has been saved."
            if profile.hourly_rate != old_rate:
                saved += (
                    f" Your new rate of ${profile.hourly_rate}/hour applies to new bookings; "
                    "sessions already booked keep their price."
                )
            messages.success(request, saved)
            return redirect("mentor_profile_edit")
    return render(
        request,
        "mentors/profile_form.html",
        {"form": form, "profile": profile, "applying": False},
        status=400 if form.errors else 200,
    )


# --- The home page, the directory and a mentor's public profile -------------------------


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"featured": selectors.featured_mentors()})


@require_safe
def directory(request: HttpRequest) -> HttpResponse:
    form = DirectoryFilterForm(request.GET or None, skills=selectors.skill_options())
    if form.is_bound:
        form.is_valid()  # invalid filters are shown next to their field and ignored
    filters = form.filters()
    page = Paginator(selectors.directory(filters), DIRECTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    # Only the directory's own parameters are carried into the page links.
    filter_query = urlencode(
        [(key, request.GET[key][:100]) for key in ("q", "skill") if request.GET.get(key)]
    )
    return render(
        request,
        "mentors/directory.html",
        {
            "form": form,
            "page": page,
            "filters": filters,
            "filter_query": filter_query,
        },
    )


@require_safe
def profile(request: HttpRequest, pk: int) -> HttpResponse:
    mentor = selectors.listed_mentor(pk)
    if mentor is None:
        raise Http404("No such mentor.")
    return render(
        request,
        "mentors/profile.html",
        {
            "mentor": mentor,
            "slots": next_free_slots(mentor.user, limit=PROFILE_SLOT_LIMIT),
            "reviews": Paginator(
                selectors.written_feedback(mentor.user_id), PROFILE_REVIEWS_PAGE_SIZE
            ).get_page(request.GET.get("page")),
            "book_url": reverse("book_session", args=[mentor.user_id]),
            "is_own_profile": request.user.is_authenticated and request.user.pk == mentor.user_id,
        },
    )


# --- Feedback ----------------------------------------------------------------------------


@login_required
@require_POST
def leave_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    session = session_selectors.session_for_participant(request.user, pk)
    if session is None or session.mentee_id != request.user.pk:
        raise Http404("No such session.")
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("session_detail", pk=pk)
    try:
        services.leave_feedback(
            session,
            by=request.user,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
        )
    except services.FeedbackError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Thank you for your feedback!")
    return redirect("session_detail", pk=pk)
