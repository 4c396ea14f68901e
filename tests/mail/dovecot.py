"""A real IMAP server for the poller's tests: Debian's Dovecot (`dovecot-imapd`), started per test on a free port
with a throwaway configuration and maildir, plain IMAP on 127.0.0.1, one static password."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
MAIL_UID = 65534  # nobody: Dovecot refuses to keep mail as root
CONFIG = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
default_internal_user = dovecot
default_login_user = dovenull
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={uid} home={root}/home/%u
}}
"""


@dataclass(frozen=True)
class Dovecot:
    port: int
    password: str
    log: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Dovecot stopped: {log.read_text() if log.exists() else process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"Dovecot did not listen on {port} within 15 s")


@contextmanager
def dovecot_running(password: str) -> Iterator[Dovecot]:
    # Not under pytest's tmp_path: its folders are private to root, and Dovecot keeps mail as another user
    root = Path(tempfile.mkdtemp(prefix="sd-dovecot-"))
    try:
        root.chmod(0o755)
        for folder in ("mail", "home"):
            (root / folder).mkdir(mode=0o777)
            (root / folder).chmod(0o777)
        (root / "state").mkdir()
        port = _free_port()
        config = root / "dovecot.conf"
        config.write_text(CONFIG.format(root=root, port=port, password=password, uid=MAIL_UID))
        process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        try:
            _wait_for(port, process, root / "dovecot.log")
            yield Dovecot(port=port, password=password, log=root / "dovecot.log")
        finally:
            process.terminate()
            process.wait(timeout=10)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def dovecot_installed() -> bool:
    return os.path.exists(DOVECOT)
