"""Who may call what: one authorization matrix per service (doors.py is the machinery)."""
