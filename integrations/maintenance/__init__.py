"""Maintenance windows, from AWS Health or entered by hand, and which window covers a ticket (rules read it)."""
