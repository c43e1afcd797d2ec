"""The README's walkthrough, run as a newcomer runs it: its blocks marked `<!-- walkthrough -->`,
copied into a shell against real service processes (the ports rewritten to this test's), twice in a
row. A command that stops working, an id the reader cannot get, a documented answer that is no
longer the answer, or a second run that collides with the first fails here, not in a reader's hands."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import httpx

from ecity_cli.config import repo_root
from ecity_cli.services import SERVICES
from ecity_cli.testing import bearer

README = repo_root() / "README.md"
BLOCK = re.compile(r"<!-- walkthrough -->\n```sh\n(.*?)```", re.DOTALL)

# Every curl fails on an HTTP error (the reader would see the problem+json; the test must stop),
# except where the README itself asks with -f (waiting for something asynchronous).
SHELL_PREAMBLE = """set -euo pipefail
curl() { local a; for a; do [[ $a == -f ]] && { command curl --max-time 20 "$@"; return; }; done
         command curl --max-time 20 --fail-with-body "$@"; }
"""


def walkthrough_blocks() -> list[str]:
    blocks = BLOCK.findall(README.read_text())
    assert len(blocks) >= 2, "the README's walkthrough blocks are no longer marked"
    return blocks


def documented_answer(block: str) -> str:
    """The first `# -> ` line of a block: what the README says the reader will see."""
    return next(line.split("# -> ", 1)[1] for line in block.splitlines() if line.startswith("# -> "))


def as_run_here(block: str, urls: dict[int, str]) -> str:
    for port, url in urls.items():
        block = block.replace(f"http://127.0.0.1:{port}", url)
    return block.replace(".venv/bin/ecity", str(repo_root() / ".venv/bin/ecity"))


def test_the_readme_walkthrough_runs_twice_as_written(services, processes, tmp_path: Path):
    names = ("citizen-requests", "utilities-gateway", "budget-ledger")
    started = {name: processes(services.process(name)) for name in names}
    for process in started.values():
        process.wait_ready()
    urls = {SERVICES[name].default_port: process.url for name, process in started.items()}
    report, filing = walkthrough_blocks()[:2]
    script = SHELL_PREAMBLE + as_run_here(report, urls) + as_run_here(filing, urls)

    filed = []
    for run in (1, 2):
        began = time.monotonic()
        done = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, f"run {run} of the walkthrough failed:\n{done.stdout}\n{done.stderr}"
        out = done.stdout.splitlines()
        assert out[0] == documented_answer(report), "the README's execution figures are not what the service says"
        assert (tmp_path / "report.html").read_text().lower().startswith("<!doctype html>")
        filed += [line.removeprefix("filed ") for line in out if line.startswith("filed ")]
        assert time.monotonic() - began < 120
    assert len(set(filed)) == 2, f"each run files its own request: {filed}"

    citizen = bearer(services.settings("citizen-requests"), "citizen-1", "citizen")
    for request_id in filed:
        seen = httpx.get(f"{started['citizen-requests'].url}/api/v1/requests/{request_id}", headers=citizen).json()
        assert seen["status"] == "planned" and "Міськводоканал" in seen["agency_responsible"]
        assert "Бригада приїде зранку" in seen["status_notes"]
