"""network-registry's own tables (its domain tables come with its issue)."""

from sqlalchemy import MetaData

from ecity_common.messaging.tables import messaging_tables

metadata = MetaData()
messaging = messaging_tables(metadata)
