"""Operational readiness reviews: checklists answered per workload on a schedule and after major incidents.

Its own app, not part of tickets: reviews are not tickets but produce them (each action item is a ticket of
kind readiness action, made through tickets.services), and tickets must import no other app. It listens to the
ticket timeline for the two moments it cares about: a major incident resolved, an action ticket closed.
"""
