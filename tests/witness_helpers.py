"""A real witness on loopback (127.0.0.1 unless told, ephemeral port), served from a thread of the test process."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from intake.witness.home import WitnessHome, create_witness, open_witness
from intake.witness.server import MAX_CONNECTIONS, Witness, make_server


@dataclass
class RunningWitness:
    home: WitnessHome
    url: str
    log: list[str] = field(default_factory=list)


@contextmanager
def serving(home: WitnessHome, host: str = "127.0.0.1", max_connections: int = MAX_CONNECTIONS) -> Iterator[RunningWitness]:
    log: list[str] = []
    server = make_server(Witness(home), host, 0, log.append, max_connections)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    shown = f"[{host}]" if ":" in host else host
    try:
        yield RunningWitness(home, f"http://{shown}:{server.server_address[1]}", log)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def new_witness(folder: Path, name: str = "witness.test/w1") -> WitnessHome:
    return create_witness(folder, name)


def reopened(folder: Path) -> WitnessHome:
    return open_witness(folder)
