"""A minimal CloudWatch Logs: groups, streams, events, simple filter patterns, retention."""
