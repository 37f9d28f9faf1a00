"""The Flask secret key: from MAMS_SECRET_KEY, else generated once and kept owner-only."""

from __future__ import annotations

import os
import secrets
import time

from data import paths
from settings import get_settings


def secret_key() -> str:
    """The key that signs session cookies; the same for every worker process."""
    env = get_settings().secret_key
    if env is not None:  # an empty MAMS_SECRET_KEY counts as unset
        return env.get_secret_value()
    path = paths.home() / "secret_key"
    if not path.exists():
        # O_EXCL: when several workers start at once, only one writes; the others read it.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    path.chmod(0o600)
    # Another worker may have created the file an instant before writing it: wait for the key.
    for _ in range(50):
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.1)
    raise RuntimeError(f"{path} is empty: delete it and start again")
