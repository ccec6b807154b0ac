"""Fixtures of the Vault plugin's tests: a real OpenBao server, and a fake for faults it cannot produce.

OpenBao (the open-source fork of Vault, same API, works with hvac unchanged) runs in dev mode for
the whole session (``openbao``).  The hand-written fake (``faulty_vault``) exists only for answers
a healthy server never gives on demand: 5xx errors and a server that does not answer in time.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import attrs
import pytest

from ppf_vault.testing import openbao_dev_server

_names = itertools.count()


@pytest.fixture(scope="session")
def openbao():
    """One OpenBao dev server for the session: KV v2 at secret/, root token in ``openbao.root_token``."""
    with openbao_dev_server() as server:
        yield server


@pytest.fixture
def vault_token(openbao, monkeypatch):
    """VAULT_TOKEN holds the root token; VAULT_ADDR and the other VAULT_ variables are unset."""
    for name in ("VAULT_ADDR", "VAULT_NAMESPACE", "VAULT_CACERT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VAULT_TOKEN", openbao.root_token)
    return openbao.root_token


@pytest.fixture
def unique():
    """A fresh name per test, so tests sharing the server never see each other's secrets."""
    return f"t{next(_names)}"


@attrs.define
class FaultyVault:
    """What the fake answers (``status`` and ``delay``) and what it was asked."""

    url: str = ""
    status: int = 500
    delay: float = 0.0
    requests: list[str] = attrs.field(factory=list)


def _handler(vault: FaultyVault) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            vault.requests.append(self.path)
            time.sleep(vault.delay)
            body = {"errors": ["1 error occurred:\n\t* internal error\n\n"]}
            payload = json.dumps(body).encode()
            try:
                self.send_response(vault.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up waiting

        def log_message(self, *args: object) -> None:
            pass  # keep the test output clean

    return Handler


@pytest.fixture
def faulty_vault(monkeypatch):
    """A stand-in that answers every request with ``status`` after ``delay`` seconds."""
    vault = FaultyVault()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(vault))
    server.daemon_threads = True
    vault.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("VAULT_TOKEN", "any")
    monkeypatch.delenv("VAULT_ADDR", raising=False)
    yield vault
    server.shutdown()
    server.server_close()
