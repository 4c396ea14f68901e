"""Trusted Advisor: checks and their findings, polled or pushed, one ticket per (account, check) or per resource."""
