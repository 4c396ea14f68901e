import pytest

from readiness.models import ReviewTemplate

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["reviewtemplate", "workload", "review"])
def test_the_admin_pages_list_readiness_configuration(client, admin_user, review, schedule, model):
    client.force_login(admin_user)
    assert client.get(f"/admin/readiness/{model}/").status_code == 200


def test_the_admin_shows_a_template_with_its_questions(client, admin_user):
    template = ReviewTemplate.objects.get(for_post_incident=True)
    client.force_login(admin_user)
    page = client.get(f"/admin/readiness/reviewtemplate/{template.pk}/change/").content.decode()
    assert "What was the root cause, and what contributed?" in page


def test_the_seeded_templates_cover_the_pillars(quarterly):
    pillars = set(quarterly.questions.values_list("pillar", flat=True))
    assert {"operational_excellence", "security", "reliability", "cost"} <= pillars
    assert ReviewTemplate.objects.filter(for_post_incident=True).count() == 1


def test_reviews_are_read_only_in_the_admin(client, admin_user, review):
    client.force_login(admin_user)
    assert client.get("/admin/readiness/review/add/").status_code == 403
