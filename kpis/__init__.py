"""KPIs, dashboards, trends and the finance view.

Its own app because every figure is derived, not entered: it reads the ticket timeline, the AWS findings and
the reviews, keeps its own per-ticket facts, daily rollups and snapshots, and writes nothing the other apps
read back.
"""
