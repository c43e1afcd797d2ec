"""Named points where a test can make the process die at once, as a power cut would.

`ECITY_FAULTS=relay.before_publish` (comma-separated) makes the process SIGKILL itself when it
reaches that point. It exists so that the crash-safety tests kill a real service process exactly
between a database commit and the Kafka step that follows, instead of hoping a timer lands there.
Nothing is read unless the variable is set.
"""

from __future__ import annotations

import os
import signal

RELAY_BEFORE_PUBLISH = "relay.before_publish"
CONSUMER_AFTER_DB_COMMIT = "consumer.after_db_commit"


def checkpoint(name: str) -> None:
    armed = os.environ.get("ECITY_FAULTS")
    if armed and name in armed.split(","):
        os.kill(os.getpid(), signal.SIGKILL)
