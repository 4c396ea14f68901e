"""The results: a table on stdout, var/bench/results.json and var/bench/results.md."""

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from .load import Load
from .pages import CEILING, Page
from .portal import Profile


@dataclass(frozen=True)
class PageResult:
    page: Page
    path: str
    load: Load
    profile: Profile
    ceiling_rps: float  # the ceiling measured around this page's load

    @property
    def share(self) -> float:
        """Requests/s as a percentage of the authenticated ceiling's."""
        return 100 * self.load.rps / self.ceiling_rps if self.ceiling_rps else 0.0

    @property
    def verdict(self) -> str:
        if self.page.floor is None or self.page.aim is None:
            return "yardstick"
        if self.load.non_2xx or self.load.socket_errors:
            return "ERRORS"
        if self.share >= self.page.aim:
            return "meets aim"
        return "meets floor" if self.share >= self.page.floor else "BELOW FLOOR"


COLUMNS = [
    "page",
    "req/s",
    "ceiling req/s",
    "% ceiling",
    "floor",
    "aim",
    "verdict",
    "p50 ms",
    "p99 ms",
    "non-2xx",
    "queries",
    "server ms",
    "SQL ms",
    "Python ms",
]


def rows(results: list[PageResult]) -> list[list[str]]:
    table = []
    for result in results:
        page, load, profile = result.page, result.load, result.profile
        table.append(
            [
                page.name,
                f"{load.rps:,.0f}",
                f"{result.ceiling_rps:,.0f}",
                f"{result.share:.1f}%",
                _percent(page.floor),
                _percent(page.aim),
                result.verdict,
                f"{load.p50_ms:.1f}",
                f"{load.p99_ms:.1f}",
                f"{load.non_2xx + load.socket_errors:,}",
                f"{profile.queries:.1f}",
                f"{profile.server_ms:.1f}",
                f"{profile.sql_ms:.1f}",
                f"{profile.python_ms:.1f}",
            ]
        )
    return table


def text_table(results: list[PageResult]) -> str:
    table = [COLUMNS, *rows(results)]
    widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]
    lines = []
    for row in table:  # the page name left-aligned, figures right-aligned
        cells = [row[0].ljust(widths[0]), *(cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))]
        lines.append("  ".join(cells))
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(results: list[PageResult], run: dict) -> str:
    windows = ", ".join(f"{rps:,.0f}" for rps in run["ceiling_windows_rps"])
    out = [
        "# Supportdesk benchmark",
        "",
        f"{run['started_at']}: {run['tickets']:,} tickets, wrk {run['threads']} threads x {run['connections']} "
        f"connections for {run['duration']} s per page after a {run['warmup']} s warm-up; gunicorn "
        f"{run['workers']} sync workers on {run['cpus']} CPUs, with wrk, PostgreSQL and Redis on the same machine.",
        "",
        f"`% ceiling` compares a page with `{CEILING}` (a database session and the user: the cheapest "
        "authenticated request) loaded just before and just after it, so a machine that gets busier or quieter "
        f"during the run shifts both alike. The ceiling's loads in this run, in req/s: {windows}.",
        "",
        "Queries and server time are averages of requests served in process with the same settings; "
        "Python ms = server ms - SQL ms (middleware, view, serialisation, templates).",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---" if name in ("page", "verdict") else "---:" for name in COLUMNS) + "|",
        *("| " + " | ".join(row) + " |" for row in rows(results)),
        "",
        "## The statement that took the most time, per page",
        "",
    ]
    for result in results:
        profile = result.profile
        if not profile.slowest_query:
            continue
        title = f"### {result.page.name}: {profile.slowest_query_ms:.1f} ms per execution"
        out += [title, "", "```sql", profile.slowest_query, "```"]
        if profile.slowest_plan:
            out += ["", "```text", profile.slowest_plan, "```"]
        out.append("")
    return "\n".join(out)


def results_write(results: list[PageResult], run: dict, directory: Path) -> tuple[Path, Path]:
    data = {
        "run": run,
        "pages": [
            {
                "name": result.page.name,
                "title": result.page.title,
                "method": result.page.method,
                "path": result.path,
                "rps": round(result.load.rps, 1),
                "ceiling_rps": round(result.ceiling_rps, 1),
                "percent_of_ceiling": round(result.share, 2),
                "floor_percent": result.page.floor,
                "aim_percent": result.page.aim,
                "verdict": result.verdict,
                "load": asdict(result.load),
                "profile": {**asdict(result.profile), "python_ms": result.profile.python_ms},
            }
            for result in results
        ],
    }
    json_path, md_path = directory / "results.json", directory / "results.md"
    json_path.write_text(json.dumps(data, indent=2) + "\n")
    md_path.write_text(markdown(results, run))
    return json_path, md_path


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:g}%"
