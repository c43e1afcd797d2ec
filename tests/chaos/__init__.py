"""The chaos test of issue "Failures are not poison": two replicas of each service under a steady
load while processes, the broker and the database are killed and restarted; afterwards nothing
accepted is lost, nothing is done twice, and no dead-letter topic holds anything.

- `profile`: how much load, for how long, which faults when (short in `make test`, long in `make chaos`)
- `cluster`: the replicas (two service processes per service, one database, one consumer group)
- `client`: a citizen's or an engineer's client that retries with the same key and fails over
- `load`: the filings and the commissioned assets, at a steady rate
- `faults`: SIGKILL/SIGTERM of a replica, SIGKILL of the broker, PostgreSQL restarts
- `checks`: waiting for the system to settle, then what must hold
"""
