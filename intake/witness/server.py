"""The witness: cosign a log's checkpoint only if it extends what was cosigned before.

`Witness.add_checkpoint` decides (c2sp.org/tlog-witness, in the spec's order);
`make_server` puts it behind a stdlib ThreadingHTTPServer, on IPv4 or IPv6.
Requests are bounded (64 KiB, 10 s per read), connections too (at most
MAX_CONNECTIONS at once; the next is answered 503 and closed, so a flood of
idle connections costs a thread each only up to the cap), and logged as one
line without the client's address: a seized witness's log should not list the
desks that use it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from intake.ledger import merkle
from intake.ledger.checkpoint import Checkpoint
from intake.errors import CheckpointError, NoteError, ProtocolError
from intake.ledger.note import open_note, signature_lines
from intake.witness.home import WitnessHome
from intake.witness.protocol import MAX_BODY, PATH, SIZE_CONTENT_TYPE, AddCheckpoint, Status, size_body
from intake.witness.state import Head

_READ_TIMEOUT = 10
MAX_CONNECTIONS = 64
_BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
         b"Content-Length: 24\r\nConnection: close\r\n\r\ntoo many connections now\n")
_TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Answer:
    status: Status
    body: bytes
    content_type: str
    summary: str  # for the witness's log: never key material


def _refused(status: Status, reason: str) -> Answer:
    return Answer(status, f"{reason}\n".encode("utf-8"), _TEXT, reason)


def _conflict(size: int, reason: str) -> Answer:
    return Answer(Status.CONFLICT, size_body(size), SIZE_CONTENT_TYPE, f"{reason}; witness size {size}")


def _now() -> int:
    return int(time.time())


@dataclass(frozen=True)
class Witness:
    home: WitnessHome
    clock: Callable[[], int] = field(default=_now)

    def add_checkpoint(self, body: bytes) -> Answer:
        try:
            request = AddCheckpoint.from_body(body)
            text, _ = signature_lines(request.note)
            checkpoint = Checkpoint.from_text(text)
        except (ProtocolError, NoteError, CheckpointError) as error:
            return _refused(Status.MALFORMED, f"malformed request: {error}")
        log_key = self.home.state.log_key(checkpoint.origin)
        if log_key is None:
            return _refused(Status.UNKNOWN_LOG, "unknown log origin")
        try:
            open_note(request.note, [log_key])
        except NoteError:
            return _refused(Status.BAD_SIGNATURE, f"no valid signature by the log key of {checkpoint.origin}")
        if request.old_size > checkpoint.size:
            return _refused(Status.MALFORMED, "old size is larger than the checkpoint's size")
        return self._against_head(request, checkpoint, text)

    def _against_head(self, request: AddCheckpoint, checkpoint: Checkpoint, text: str) -> Answer:
        head = self.home.state.head(checkpoint.origin)
        known = head.size if head else 0
        if request.old_size != known:
            return _conflict(known, f"{checkpoint.origin}: old size {request.old_size} is not the witness's")
        if head is not None and checkpoint.size == head.size:
            if checkpoint.root != head.root:
                return _conflict(known, f"{checkpoint.origin}: FORK, another root at size {head.size}")
            return self._cosigned(checkpoint, text, "the same checkpoint again")
        old_root = head.root if head else merkle.EMPTY_ROOT
        if not merkle.verify_consistency(known, checkpoint.size, old_root, checkpoint.root, request.proof):
            return _refused(Status.BAD_PROOF, f"the consistency proof from {known} to {checkpoint.size} does not verify")
        if not self.home.state.advance(checkpoint.origin, head, Head(checkpoint.size, checkpoint.root)):
            current = self.home.state.head(checkpoint.origin)
            return _conflict(current.size if current else 0, f"{checkpoint.origin}: another request moved the head")
        return self._cosigned(checkpoint, text, f"from {known}")

    def _cosigned(self, checkpoint: Checkpoint, text: str, how: str) -> Answer:
        line = self.home.cosigner.cosign(text, self.clock())
        return Answer(Status.COSIGNED, line.encode("utf-8"), _TEXT,
                      f"cosigned {checkpoint.origin} size {checkpoint.size} ({how})")


class _Handler(BaseHTTPRequestHandler):
    server: WitnessServer
    protocol_version = "HTTP/1.1"
    server_version = "witness"
    sys_version = ""
    timeout = _READ_TIMEOUT

    def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
        if self.path != PATH:
            self._send(_refused(Status.UNKNOWN_LOG, f"no such endpoint (POST {PATH})"))
            return
        length = self.headers.get("Content-Length", "")
        if not length.isdigit() or int(length) > MAX_BODY:
            self.close_connection = True
            self._send(_refused(Status.MALFORMED, f"a request needs a Content-Length of at most {MAX_BODY}"))
            return
        self._send(self.server.witness.add_checkpoint(self.rfile.read(int(length))))

    def do_GET(self) -> None:  # noqa: N802
        self.close_connection = True
        self._send(_refused(Status.UNKNOWN_LOG, f"a witness answers only POST {PATH}"))

    def _send(self, answer: Answer) -> None:
        # Logged before answering: once a client has its answer, the log already says so.
        self.server.log(f"{self.command} {self.path[:64]} {int(answer.status)} {answer.summary}")
        self.send_response(int(answer.status))
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """The stdlib's line names the client's address; ours (in _send) does not."""


class WitnessServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], witness: Witness, log: Callable[[str], None],
                 family: socket.AddressFamily = socket.AF_INET, max_connections: int = MAX_CONNECTIONS) -> None:
        self.address_family = family  # read by the socket server's constructor, so set first
        self.witness = witness
        self.log = log
        self._slots = threading.BoundedSemaphore(max_connections)
        super().__init__(address, _Handler)

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        if not self._slots.acquire(blocking=False):
            self._refuse_busy(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def _refuse_busy(self, request: socket.socket) -> None:
        self.log("- - 503 too many connections")
        try:
            request.settimeout(1)  # 150 bytes fit any socket buffer; a client that reads nothing waits no one
            request.sendall(_BUSY)
        except OSError:
            pass
        self.shutdown_request(request)


def make_server(witness: Witness, host: str, port: int, log: Callable[[str], None],
                max_connections: int = MAX_CONNECTIONS) -> WitnessServer:
    """A server bound to host:port; host is an IPv4 or IPv6 address or a name (the first address
    it resolves to)."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    return WitnessServer((host, port), witness, log, family, max_connections)
