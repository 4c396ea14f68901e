"""Shared by findings and Health: who files AWS tickets, how severe, which queue (tag routes), following AWS."""
