"""A fake of Vault for the tests: a tiny HTTP server on 127.0.0.1 speaking the KV v2 read endpoint.

No Vault binary can be installed here (none in Debian's packages or on PyPI), so the hvac client
code is tested against this stand-in, which answers ``GET /v1/<mount>/data/<path>`` the way Vault
does (200 with ``{"data": {"data": ..., "metadata": ...}}``, 404 with ``{"errors": []}``, 403 for a
wrong token).  It is a fake, not Vault: policies, leases and every other endpoint are absent.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import attrs
import pytest

TOKEN = "s.test-token"


@attrs.define
class FakeVault:
    """What the fake serves and what it was asked."""

    url: str
    #: "<mount>/<path>" -> the secret's key/value data.
    secrets: dict[str, dict[str, str]]
    requests: list[str] = attrs.field(factory=list)


def _handler(vault: FakeVault) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            vault.requests.append(self.path)
            if self.headers.get("X-Vault-Token") != TOKEN:
                return self._send(403, {"errors": ["permission denied"]})
            mount, sep, path = self.path.split("?")[0].removeprefix("/v1/").partition("/data/")
            data = vault.secrets.get(f"{mount}/{path}") if sep else None
            if data is None:
                return self._send(404, {"errors": []})
            metadata = {
                "created_time": "2024-01-01T00:00:00Z",
                "deletion_time": "",
                "destroyed": False,
                "version": 1,
                "custom_metadata": None,
            }
            return self._send(
                200,
                {
                    "request_id": "fake",
                    "lease_id": "",
                    "renewable": False,
                    "lease_duration": 0,
                    "data": {"data": data, "metadata": metadata},
                    "wrap_info": None,
                    "warnings": None,
                    "auth": None,
                },
            )

        def _send(self, status: int, body: dict) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass  # keep the test output clean

    return Handler


@pytest.fixture
def fake_vault(monkeypatch):
    """A running fake Vault with two secrets; VAULT_TOKEN holds its token, VAULT_ADDR is unset."""
    vault = FakeVault("", {"kv/db": {"user": "etl", "password": "hunter2"}, "secret/api": {"key": "k-123"}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(vault))
    vault.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("VAULT_TOKEN", TOKEN)
    monkeypatch.delenv("VAULT_ADDR", raising=False)
    yield vault
    server.shutdown()
    server.server_close()
