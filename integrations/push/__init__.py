"""EventBridge events pushed through SNS: verified, deduplicated, and fed to the same code as the polls."""
