"""The database keeps feedback sane even if the services are bypassed."""

import pytest
from django.db import IntegrityError

from mentors.models import Feedback


@pytest.mark.parametrize("rating", [0, 6])
def test_the_database_refuses_a_rating_outside_1_to_5(completed_session, rating):
    with pytest.raises(IntegrityError):
        Feedback.objects.create(session=completed_session, rating=rating)


def test_the_database_refuses_a_second_feedback_for_a_session(completed_session):
    Feedback.objects.create(session=completed_session, rating=5)

    with pytest.raises(IntegrityError):
        Feedback.objects.create(session=completed_session, rating=1)
