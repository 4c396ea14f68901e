"""The wheel carries every app: built from a copy of the tree (pip, no build isolation, no download), unpacked, and
every app imported from it, Django set up on it; nothing of ours may come from anywhere else. And the locks that
`make run`, `make test` and the image install from keep up with pyproject.toml."""

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
NOT_PACKAGED = {"tests", "tools"}  # pyproject.toml's exclude list: developer tools and tests
NOT_COPIED = shutil.ignore_patterns(
    ".*", "var", "node_modules", "static", "templates", "build", "*.egg-info", "__pycache__"
)

IMPORT_FROM_WHEEL = """
import importlib, json, os, sys
import django
django.setup()  # imports every app and its models
ours, site = json.loads(sys.argv[1]), sys.argv[2]
for name in ours:
    importlib.import_module(name)
stray = {name: getattr(module, "__file__", None) for name, module in list(sys.modules.items())
         if name.split(".")[0] in ours and not (getattr(module, "__file__", None) or site).startswith(site)}
assert not stray, f"imported from outside the wheel: {stray}"
"""


def _our_packages() -> set[str]:
    """Our apps in INSTALLED_APPS, and every other package at the top of the tree but the tools and tests."""
    apps = {entry.split(".")[0] for entry in settings.INSTALLED_APPS}
    ours = {name for name in apps if (ROOT / name / "__init__.py").exists()}
    return ours | {path.parent.name for path in ROOT.glob("*/__init__.py")} - NOT_PACKAGED


@pytest.mark.packaging
def test_the_wheel_carries_every_app_and_imports_them(tmp_path):
    # given: the tree as a clone has it
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=NOT_COPIED)
    # when
    offline = ["--no-deps", "--no-build-isolation", "--no-index", "-q"]
    wheel_cmd = [sys.executable, "-m", "pip", "wheel", *offline, "-w", str(tmp_path / "dist"), str(source)]
    built = subprocess.run(wheel_cmd, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    # then: every package of ours is in it, no tool or test
    (wheel,) = (tmp_path / "dist").glob("supportdesk-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path / "site")
        packaged = {name.split("/")[0] for name in archive.namelist() if name.endswith("/__init__.py")}
    ours = _our_packages()
    assert {"supportdesk", "tickets", "readiness"} <= ours
    assert ours <= packaged
    assert not packaged & NOT_PACKAGED
    # and each imports from the wheel, Django set up on it, away from the tree
    site = str(tmp_path / "site")
    env = {
        **os.environ,
        "PYTHONPATH": site,
        "DJANGO_SETTINGS_MODULE": "supportdesk.settings.base",
        "DJANGO_SECRET_KEY": "packaging-test",
        "DATABASE_URL": "sqlite:///:memory:",
    }
    imported = subprocess.run(
        [sys.executable, "-P", "-c", IMPORT_FROM_WHEEL, json.dumps(sorted(ours)), site],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert imported.returncode == 0, imported.stderr


def _pins(lock: str) -> dict[str, str]:
    text = (ROOT / "requirements" / lock).read_text()
    return {canonicalize_name(m[1]): m[2] for m in re.finditer(r"^([A-Za-z0-9._-]+)==(\S+)", text, re.M)}


@pytest.mark.parametrize(("lock", "extras"), [("lock.txt", ["test"]), ("lock-runtime.txt", [])])
def test_each_lock_pins_every_dependency_within_its_range(lock, extras):
    # A dependency added to pyproject.toml without `make lock` fails here, not in a fresh clone's `make run`
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *(r for extra in extras for r in project["optional-dependencies"][extra])]
    pins = _pins(lock)
    for requirement in map(Requirement, wanted):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is not in requirements/{lock}: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]}: `make lock`"
    if not extras:
        assert "pytest" not in pins  # the image carries no test tools
