"""The documentation points at things that exist: every relative link in README.md and docs/*.md names a file of
the repository (and, for a Markdown file, a heading in it), and every `docs/<page>.md#section` a code comment cites
is a heading of that page. Moving a file or renaming a heading fails here rather than leaving a dead link."""

import os
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_SKIPPED_DIRS = {"node_modules", "var", "static", "__pycache__"}

_FENCE = re.compile(r"^(```|~~~)")
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
_ANCHOR_TAG = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"")
_CITATION = re.compile(r"\bdocs/([\w-]+\.md)(?:#([\w-]+))?")


def _prose(text: str) -> list[str]:
    """The lines outside fenced code blocks."""
    lines, fenced = [], False
    for line in text.splitlines():
        if _FENCE.match(line.strip()):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"<[^>]+>", "", heading).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


@cache
def anchors(page: Path) -> frozenset[str]:
    found, seen = set(), {}
    for line in _prose(page.read_text(encoding="utf-8")):
        found.update(_ANCHOR_TAG.findall(line))
        if match := _HEADING.match(line):
            slug = _slug(match.group(1))
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            found.add(slug if count == 0 else f"{slug}-{count}")
    return frozenset(found)


def _links(page: Path) -> list[str]:
    return [target for line in _prose(page.read_text(encoding="utf-8")) for target in _LINK.findall(line)]


def _broken(page: Path, target: str) -> str | None:
    if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: …: not this repository's business
        return None
    path, _, anchor = target.partition("#")
    resolved = (page.parent / path).resolve() if path else page
    if not resolved.exists():
        return f"{target}: no such file"
    if ROOT not in resolved.parents and resolved != ROOT:
        return f"{target}: outside the repository"
    if anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
        return f"{target}: {resolved.name} has no heading #{anchor}"
    return None


@pytest.mark.parametrize("doc", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_of_the_docs_resolves(doc):
    broken = [problem for target in _links(doc) if (problem := _broken(doc, target))]
    assert not broken, f"{doc.relative_to(ROOT)}: " + "; ".join(broken)


def _python_files():
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _SKIPPED_DIRS]
        yield from (Path(folder) / name for name in files if name.endswith(".py"))


def test_every_docs_section_a_code_comment_cites_exists():
    broken = []
    for source in _python_files():
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
            for page, anchor in _CITATION.findall(line):
                target = ROOT / "docs" / page
                if not target.exists() or (anchor and anchor not in anchors(target)):
                    broken.append(f"{source.relative_to(ROOT)}:{number}: docs/{page}#{anchor}")
    assert not broken, "Cited sections missing: " + ", ".join(broken)


def test_code_cites_the_aws_notes_in_the_repository():
    # AWS.md lived outside the repository; its facts are in docs/aws.md
    stale = [
        f"{source.relative_to(ROOT)}:{number}"
        for source in _python_files()
        if source != Path(__file__).resolve()
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"(?<![\w/])AWS\.md", line)
    ]
    assert not stale, "Cite docs/aws.md#<section> instead of AWS.md: " + ", ".join(stale)


def test_the_slugs_are_githubs():
    assert _slug("Health failover") == "health-failover"
    assert _slug("The `trustedadvisor` API (newer)") == "the-trustedadvisor-api-newer"
    assert _slug("SLAs, escalation and on-call") == "slas-escalation-and-on-call"
