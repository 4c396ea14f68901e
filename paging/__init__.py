"""Paging that reaches a person: each engineer's contact methods (email, a verified number for SMS and for calls),
their notification rules per severity band (and the team defaults they may tighten), the page engine that works
through those rules until the ticket is acknowledged, and the one-tap acknowledge links every page carries.

Its own app because who is told and how (people's numbers, rules, pages) is not the escalation policy that decides
when a person must be reached, nor the outbox that carries one message: escalation (above) starts pages, and the
outbox (below) delivers each step and tells this app, through settings.NOTICE_FAILED, when one failed.
"""
