"""One recipe for every app (issue 13): the same module names everywhere, and each app's URL prefix set in
supportdesk/urls.py. That the addresses themselves stay the same is tests/test_url_access.py's to check."""

import re
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.urls import URLResolver, get_resolver

# The recipe's names, each in one place: views.py or a views/ package, never views_<page>.py or <page>_views.py
RECIPE = ("models", "services", "selectors", "reactions", "tasks", "forms", "views", "urls", "serializers", "admin")
_VARIANT = re.compile(rf"^(({'|'.join(RECIPE)})_\w+|\w+_({'|'.join(RECIPE)}))\.py$")


def _project_apps() -> list:
    # supportdesk is the project (settings, root URLs, error pages, shared helpers), not a domain app with a recipe
    return [
        app
        for app in apps.get_app_configs()
        if Path(app.path).parent == settings.BASE_DIR and app.name != "supportdesk"
    ]


def test_apps_use_the_recipe_module_names():
    odd = []
    for app in _project_apps():
        root = Path(app.path)
        for module in root.rglob("*.py"):
            if "migrations" in module.parts or not _VARIANT.match(module.name):
                continue
            odd.append(str(module.relative_to(settings.BASE_DIR)))
        if (root / "api.py").exists():
            odd.append(f"{app.label}/api.py (an API is the package api/: serializers.py, views.py, urls.py)")
    assert odd == []


def test_each_app_is_mounted_under_its_prefix_in_the_root_urls():
    # Only the home page is mounted at the root: a list mounted at "" must not hide a prefix of its own
    hidden = []
    for entry in get_resolver().url_patterns:
        if not isinstance(entry, URLResolver) or str(entry.pattern):
            continue
        name = getattr(entry.urlconf_name, "__name__", "")  # a module's; a list has none
        hidden += [f"{name or 'a list'}: {p.pattern}" for p in entry.url_patterns if str(p.pattern)]
    assert hidden == []
