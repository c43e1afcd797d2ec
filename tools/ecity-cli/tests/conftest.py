"""The CLI's console, as wide as a terminal a person reads it on.

Rich fixes its width when the console is made, from `COLUMNS` if set (a parallel test run's
worker process has it at 80): the tests read a line of output as one line, so they get 300."""

import pytest


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    from ecity_cli import cli

    monkeypatch.setattr(cli.console, "width", 300)
