"""The `ecity` command: local infrastructure, the whole system, tokens, events, dead letters."""
