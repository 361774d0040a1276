"""A time-stamping authority on 127.0.0.1 for the tests: a throwaway CA (cryptography), a TSA
certificate with the critical timeStamping EKU, and pyHanko's test time-stamper answering
RFC 3161 requests over HTTP. It can also misbehave on purpose (garbage, a huge body)."""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from asn1crypto import keys as asn1_keys, tsp, x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

_NOW = datetime.datetime.now(datetime.timezone.utc)


@dataclass(frozen=True)
class Authority:
    ca: x509.Certificate
    ca_key: rsa.RSAPrivateKey
    tsa: x509.Certificate
    tsa_key: rsa.RSAPrivateKey

    def ca_pem(self, path: Path) -> Path:
        path.write_bytes(self.ca.public_bytes(Encoding.PEM))
        return path

    def stamper(self) -> DummyTimeStamper:
        key = asn1_keys.PrivateKeyInfo.load(
            self.tsa_key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption()))
        return DummyTimeStamper(asn1_x509.Certificate.load(self.tsa.public_bytes(Encoding.DER)), key)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject: str, key: rsa.RSAPrivateKey, issuer: str, issuer_key: rsa.RSAPrivateKey,
                 ca: bool, eku_critical: bool = True) -> x509.Certificate:
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(_NOW - datetime.timedelta(days=1)).not_valid_after(_NOW + datetime.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                                        critical=True)
    else:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),
                                        critical=eku_critical)
    return builder.sign(issuer_key, hashes.SHA256())


def make_authority(name: str, eku_critical: bool = True) -> Authority:
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = _certificate(f"{name} Root CA", ca_key, f"{name} Root CA", ca_key, ca=True)
    tsa = _certificate(f"{name} Time Stamping", tsa_key, f"{name} Root CA", ca_key, ca=False,
                       eku_critical=eku_critical)
    return Authority(ca, ca_key, tsa, tsa_key)


class LocalTsa:
    """`mode`: "stamp" answers properly; "garbage" answers noise; "huge" answers 8 MiB;
    "refuse" answers a rejection (status 2); "drip" sends a proper answer a byte at a time;
    "silent" reads the request and never answers."""

    def __init__(self, authority: Authority, mode: str = "stamp") -> None:
        self.authority = authority
        self.mode = mode
        self.requests = 0

    def answer(self, body: bytes) -> bytes:
        self.requests += 1
        if self.mode == "garbage":
            return b"\x30\x82 this is not a time stamp " * 10
        if self.mode == "huge":
            return b"\x00" * (8 << 20)
        if self.mode == "refuse":
            return bytes.fromhex("3005" "3003" "020102")  # TimeStampResp { status: rejection }, no token
        return self.authority.stamper().request_tsa_response(tsp.TimeStampReq.load(body)).dump()


@contextmanager
def serve(tsa: LocalTsa) -> Iterator[str]:
    """The TSA's URL while it runs."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the http.server API)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.headers.get("Content-Type") != "application/timestamp-query":
                self.send_error(415)
                return
            if tsa.mode == "silent":
                time.sleep(2)
                return
            answer = tsa.answer(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            try:
                self._send(answer)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped reading an answer too large or too slow to be a time stamp

        def _send(self, answer: bytes) -> None:
            if tsa.mode != "drip":
                self.wfile.write(answer)
                return
            for index in range(len(answer)):
                self.wfile.write(answer[index:index + 1])
                self.wfile.flush()
                time.sleep(0.05)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    finally:
        server.shutdown()
        server.server_close()


def closed_port_url() -> str:
    """An address where nothing listens: bound and closed again."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/tsa"
