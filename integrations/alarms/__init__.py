"""CloudWatch alarms pushed through SNS or EventBridge: one ticket per (account, region, alarm name)."""
