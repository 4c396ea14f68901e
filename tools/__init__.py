"""Tools for developers, not part of the portal (which never imports them, and the wheel leaves them out):

- ``python -m tools.devserver``: `make run`'s supervisor of the web server, worker, beat and the AWS sandbox;
- ``python -m tools.sandbox``: a local stand-in for AWS;
- ``python -m tools.bench`` (and ``tools.bench.ingest``, ``.rules``, ``.notify``, ``.kpis``): `make bench`;
- ``tools.bench_views``: the benchmark's yardstick pages, mounted at /_bench/ only with SUPPORTDESK_BENCH_VIEWS.

Run them from the project folder (as make does), where ``tools`` is importable.
"""
