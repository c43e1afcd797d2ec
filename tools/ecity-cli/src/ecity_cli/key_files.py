"""Local development keys kept in the state folder: made on first use, then the same for every
process that asks (`make run`, a test session, a benchmark), readable by this machine's user alone."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def kept_key_file(key_file: Path, new_pem: Callable[[], bytes]) -> Path:
    """The key file, made with `new_pem()` the first time and kept (readable by this user alone)."""
    if key_file.exists():
        return key_file
    key_file.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and linked into place: a test session and `make run` starting at once share one key.
    staged = key_file.parent / f".key-{os.getpid()}"
    staged.write_bytes(new_pem())
    os.chmod(staged, 0o600)
    try:
        os.link(staged, key_file)
    except FileExistsError:
        pass
    finally:
        staged.unlink()
    return key_file
