"""Security Hub and GuardDuty findings: one ticket per (finding, account), and the resolution written back."""
