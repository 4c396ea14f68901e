from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django_celery_beat.models import PeriodicTask

from notifications.models import Notification
from readiness import services
from readiness.models import Review
from readiness.tasks import readiness_daily_task

from .conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 3, 2), 12, date(2027, 3, 2)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_last_of_the_month(day, months, expected):
    assert services.add_months(day, months) == expected


def test_the_daily_task_is_in_the_periodic_schedule():
    task = PeriodicTask.objects.get(name="Open due readiness reviews")
    assert task.task == "readiness.tasks.readiness_daily_task"
    assert task.crontab is not None


def test_a_due_schedule_opens_one_review_with_the_template_questions(schedule, quarterly, queue, manager):
    # when
    opened = services.reviews_open_due(today=TODAY)
    # then
    review = Review.objects.get(schedule=schedule)
    assert opened == 1
    assert (review.due_on, review.queue, review.owner, review.status) == (TODAY, queue, manager, Review.Status.DUE)
    assert review.environment == "production"
    assert list(review.answers.values_list("question", flat=True)) == [q.text for q in quarterly.questions.all()]
    schedule.refresh_from_db()
    assert schedule.next_due_on == date(2026, 6, 2)


def test_running_the_task_twice_opens_one_review(schedule):
    services.reviews_open_due(today=TODAY)
    assert services.reviews_open_due(today=TODAY) == 0
    assert Review.objects.filter(schedule=schedule).count() == 1


def test_the_celery_task_is_idempotent(schedule):
    with time_machine.travel(datetime(2026, 3, 2, 6, 17, tzinfo=UTC), tick=False):
        first, second = readiness_daily_task(), readiness_daily_task()
    assert (first["scheduled"], second["scheduled"]) == (1, 0)
    assert Review.objects.count() == 1


def test_a_review_opens_two_weeks_ahead_not_earlier(schedule):
    assert services.reviews_open_due(today=TODAY - timedelta(days=15)) == 0
    assert services.reviews_open_due(today=TODAY - timedelta(days=14)) == 1


def test_a_schedule_left_off_for_a_year_opens_one_review_for_its_latest_occurrence(schedule):
    # given: the schedule was due a year ago
    schedule.next_due_on = TODAY - timedelta(days=365)
    schedule.save()
    # when
    services.reviews_open_due(today=TODAY)
    # then: one review, for the latest due date, and the next one after today
    review = Review.objects.get(schedule=schedule)
    assert review.due_on == date(2026, 3, 2)
    schedule.refresh_from_db()
    assert schedule.next_due_on == date(2026, 6, 2)


def test_an_existing_review_for_the_occurrence_is_not_duplicated(schedule):
    # given: the review exists but the schedule did not move on (restored from a backup, say)
    services.reviews_open_due(today=TODAY)
    schedule.next_due_on = TODAY
    schedule.save()
    # when
    services.reviews_open_due(today=TODAY)
    # then
    assert Review.objects.filter(schedule=schedule).count() == 1


def test_inactive_schedules_open_nothing(schedule):
    schedule.active = False
    schedule.save()
    assert services.reviews_open_due(today=TODAY) == 0


def test_the_owner_hears_that_a_scheduled_review_is_open(schedule, manager):
    services.reviews_open_due(today=TODAY)
    review = Review.objects.get()
    assert Notification.objects.filter(key=f"readiness:opened:{review.pk}:user:{manager.pk}").count() == 1
