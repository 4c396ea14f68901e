"""Templates' url() and {% url %} (supportdesk/links.py) answer what reverse() answers, only faster."""

import pytest
from django.template import engines
from django.test import override_settings
from django.urls import NoReverseMatch, get_resolver, path, reverse, set_script_prefix

from supportdesk.links import Links, url


def _names() -> list[str]:
    """Every named URL of the project outside the admin and allauth, with one sample argument per parameter."""
    names = []
    for name in get_resolver().reverse_dict:
        if isinstance(name, str) and not name.startswith(
            ("account_", "mfa_", "socialaccount_", "openid_connect", "saml_")
        ):
            names.append(name)
    return sorted(names)


def _sample_args(name: str) -> list[tuple]:
    _possibilities, _pattern, _defaults, converters = get_resolver().reverse_dict.getlist(name)[0]
    samples = {"int": (7, "12"), "string": ("SD-42", "a_b"), "slug": ("by-queue", "flow")}
    kinds = [type(converter).__name__.removesuffix("Converter").lower() for converter in converters.values()]
    return [tuple(samples[kind][i] for kind in kinds) for i in range(2)]


@pytest.mark.parametrize("name", _names())
def test_url_answers_what_reverse_answers_for_every_named_url(name):
    for args in _sample_args(name):
        assert url(name, *args) == reverse(name, args=args)
        assert url(name, *args) == reverse(name, args=args)  # the second call comes from the cache


@pytest.mark.parametrize(
    ("name", "args", "kwargs"),
    [
        ("review-answer", (), {"answer_id": 2, "review_id": 1}),
        ("ticket-detail", ("a b",), {}),  # needs quoting: reverse() builds it
        ("admin:index", (), {}),
        ("admin:tickets_ticket_change", (3,), {}),
        ("account_login", (), {}),
    ],
)
def test_url_answers_what_reverse_answers_for_keywords_odd_values_and_namespaces(name, args, kwargs):
    assert url(name, *args, **kwargs) == reverse(name, args=args, kwargs=kwargs)


@pytest.mark.parametrize(("name", "args"), [("review-detail", ("SD-1",)), ("nowhere", ()), ("home", (1,))])
def test_url_refuses_what_reverse_refuses(name, args):
    with pytest.raises(NoReverseMatch):
        url(name, *args)
    with pytest.raises(NoReverseMatch):
        url(name, *args)


def test_url_follows_the_script_prefix():
    set_script_prefix("/support/")
    try:
        assert Links()("ticket-detail", "SD-4") == "/support/tickets/SD-4/" == reverse("ticket-detail", args=["SD-4"])
    finally:
        set_script_prefix("/")
    assert url("ticket-detail", "SD-4") == "/tickets/SD-4/"


urlpatterns = [path("elsewhere/<str:reference>/", lambda request: None, name="ticket-detail")]


def test_url_follows_a_changed_url_configuration():
    assert url("ticket-detail", "SD-4") == "/tickets/SD-4/"
    with override_settings(ROOT_URLCONF=__name__):
        assert url("ticket-detail", "SD-4") == "/elsewhere/SD-4/"
    assert url("ticket-detail", "SD-4") == "/tickets/SD-4/"


def test_django_url_tag_keeps_its_forms():
    template = engines["django"].from_string(
        "{% url 'ticket-detail' ref %}|{% url 'review-answer' review_id=1 answer_id=2 %}|"
        "{% url 'nowhere' as missing %}[{{ missing }}]{% url 'admin:index' as admin %}{{ admin }}"
    )
    assert template.render({"ref": "SD-9"}) == "/tickets/SD-9/|/reviews/1/answers/2/|[]/admin/"


def test_jinja_url_global():
    template = engines["jinja2"].from_string("{{ url('attachment-download', 'SD-9', 3) }}")
    assert template.render({}) == "/tickets/SD-9/files/3/"
