"""HTTP conventions every service follows: RFC 9457 errors, health, metrics."""
