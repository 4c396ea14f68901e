"""A minimal IMAP4rev1 server for the poller's tests (Dovecot is not installed here): one folder, LOGIN, SELECT,
UID SEARCH UNSEEN, UID FETCH (RFC822.SIZE, BODY.PEEK[], BODY.PEEK[HEADER]), UID STORE +FLAGS, LOGOUT, on a free
port of 127.0.0.1. It speaks the protocol on the wire, so imapclient and imaplib run for real against it."""

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

UIDVALIDITY = 1706


@dataclass
class Stored:
    uid: int
    raw: bytes
    seen: bool = False


@dataclass
class Folder:
    username: str
    password: str
    messages: list[Stored] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    drop_on_store: int = 0  # hang up on this many STOREs: a worker dying between the commit and the flag

    def add(self, raw: bytes) -> Stored:
        message = Stored(uid=len(self.messages) + 1, raw=raw)
        self.messages.append(message)
        return message


def _uids(spec: str, folder: Folder) -> list[Stored]:
    wanted: set[int] = set()
    for part in spec.split(","):
        low, _, high = part.partition(":")
        top = max((m.uid for m in folder.messages), default=0)
        wanted |= set(range(int(low), (top if high == "*" else int(high or low)) + 1))
    return [m for m in folder.messages if m.uid in wanted]


class _Handler(socketserver.StreamRequestHandler):
    folder: Folder

    def _send(self, data: bytes) -> None:
        self.wfile.write(data)

    def handle(self) -> None:
        self._send(b"* OK [CAPABILITY IMAP4rev1] test server ready\r\n")
        while line := self.rfile.readline():
            tag, _, rest = line.decode().rstrip("\r\n").partition(" ")
            command, _, args = rest.partition(" ")
            command = command.upper()
            self.folder.commands.append(f"{command} {args}".strip())
            if command == "UID":
                sub, _, args = args.partition(" ")
                command = f"UID {sub.upper()}"
            if not self._answer(tag, command, args):
                return

    def _answer(self, tag: str, command: str, args: str) -> bool:
        folder = self.folder
        if command == "CAPABILITY":
            self._send(b"* CAPABILITY IMAP4rev1\r\n")
        elif command == "LOGIN":
            user, password = [a.strip('"') for a in args.split(" ", 1)]
            if (user, password) != (folder.username, folder.password):
                self._send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials\r\n".encode())
                return True
        elif command in ("SELECT", "EXAMINE"):
            self._send(f"* {len(folder.messages)} EXISTS\r\n* OK [UIDVALIDITY {UIDVALIDITY}] UIDs valid\r\n".encode())
            self._send(f"{tag} OK [READ-WRITE] SELECT completed\r\n".encode())
            return True
        elif command == "UID SEARCH":
            unseen = " ".join(str(m.uid) for m in folder.messages if not m.seen)
            self._send(f"* SEARCH {unseen}\r\n".rstrip(" \r\n").encode() + b"\r\n")
        elif command == "UID FETCH":
            spec, _, items = args.partition(" ")
            for message in _uids(spec, folder):
                self._fetched(message, items.upper())
        elif command == "UID STORE":
            if folder.drop_on_store:
                folder.drop_on_store -= 1
                return False  # hang up without an answer
            spec, _, flags = args.partition(" ")
            for message in _uids(spec, folder):
                if "\\SEEN" in flags.upper():
                    message.seen = True
                seq = folder.messages.index(message) + 1
                self._send(f"* {seq} FETCH (UID {message.uid} FLAGS (\\Seen))\r\n".encode())
        elif command == "LOGOUT":
            self._send(f"* BYE\r\n{tag} OK LOGOUT completed\r\n".encode())
            return False
        self._send(f"{tag} OK {command} completed\r\n".encode())
        return True

    def _fetched(self, message: Stored, items: str) -> None:
        seq = self.folder.messages.index(message) + 1
        if "RFC822.SIZE" in items:
            self._send(f"* {seq} FETCH (UID {message.uid} RFC822.SIZE {len(message.raw)})\r\n".encode())
            return
        header = "BODY.PEEK[HEADER]" in items
        body = message.raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n" if header else message.raw
        name = "BODY[HEADER]" if header else "BODY[]"
        self._send(f"* {seq} FETCH (UID {message.uid} {name} {{{len(body)}}}\r\n".encode() + body + b")\r\n")


@contextmanager
def imap_server(folder: Folder) -> Iterator[int]:
    """Serves ``folder`` on a free port (yielded) for the block."""
    handler = type("Handler", (_Handler,), {"folder": folder})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
