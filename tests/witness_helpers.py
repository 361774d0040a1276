"""A real witness on 127.0.0.1 (ephemeral port), served from a thread of the test process."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from intake.witness.home import WitnessHome, create_witness, open_witness
from intake.witness.server import Witness, make_server


@dataclass
class RunningWitness:
    home: WitnessHome
    url: str
    log: list[str] = field(default_factory=list)


@contextmanager
def serving(home: WitnessHome) -> Iterator[RunningWitness]:
    log: list[str] = []
    server = make_server(Witness(home), "127.0.0.1", 0, log.append)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield RunningWitness(home, f"http://127.0.0.1:{server.server_address[1]}", log)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def new_witness(folder: Path, name: str = "witness.test/w1") -> WitnessHome:
    return create_witness(folder, name)


def reopened(folder: Path) -> WitnessHome:
    return open_witness(folder)
