"""On-call schedules: layers of rotations with restrictions, overrides and swaps, the calendar and its gaps, iCal
feeds, reminders before a shift, and who is on call now for escalation and the API.

Its own app because schedules are about people and time, not about a ticket's policies: escalation asks it who is
on call (escalation > oncall), and paging, below, is how the people it names are reached.
"""
