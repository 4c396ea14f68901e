"""`make bench`: seed a million tickets, serve the portal with gunicorn, load each page with wrk, report.

    .venv/bin/python -m tools.bench                                  # 1,000,000 tickets, 30 s per page
    .venv/bin/python -m tools.bench --tickets 20000 --duration 5     # about a minute, while developing
    .venv/bin/python -m tools.bench --only ticket-page,api-list      # some pages (the yardsticks always run)
    .venv/bin/python -m tools.bench --reseed                         # seed again though enough tickets exist

Modules: seed (COPY into PostgreSQL), portal (the bench agent, its credentials, the in-process profile),
server (gunicorn), load (wrk and tools/bench/wrk/*.lua), pages (what is loaded, and the targets), report.
Traffic goes to 127.0.0.1 only; results land in var/bench/ (results.json, results.md, gunicorn.log).
"""
