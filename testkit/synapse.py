"""Start and stop a real Synapse homeserver (sqlite, 127.0.0.1) for the Matrix bot's tests and
benchmark, and register users through its shared-secret admin API."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

from testkit.llm_server import free_port

CONFIG = Path(__file__).resolve().parents[1] / "infra" / "matrix" / "homeserver.yaml"
SERVER_NAME = "medgpt.test"
_LOG_CONFIG = """\
version: 1
formatters:
  precise: {format: '%(asctime)s %(name)s %(levelname)s %(message)s'}
handlers:
  file: {class: logging.FileHandler, formatter: precise, filename: "LOG_FILE"}
root: {level: WARNING, handlers: [file]}
disable_existing_loggers: false
"""


@dataclass
class Synapse:
    process: subprocess.Popen[bytes]
    url: str
    shared_secret: str
    data_dir: Path
    admin_token: str = ""

    def register(self, localpart: str, password: str, admin: bool = False) -> str:
        """A new user (its access token is not kept: each client logs in itself); its id."""
        nonce = self._call("GET", "/_synapse/admin/v1/register")["nonce"]
        mac = hmac.new(self.shared_secret.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), localpart.encode(), password.encode()]))
        mac.update(b"\x00admin" if admin else b"\x00notadmin")
        body = {"nonce": nonce, "username": localpart, "password": password, "admin": admin,
                "mac": mac.hexdigest()}  # fmt: skip
        answer = self._call("POST", "/_synapse/admin/v1/register", body)
        if admin:
            self.admin_token = answer["access_token"]
        return str(answer["user_id"])

    def limit_messages(self, user_id: str, per_second: int, burst: int) -> None:
        """Synapse's message rate limit for one user (0, 0: none)."""
        path = f"/_synapse/admin/v1/users/{user_id}/override_ratelimit"
        self._call("POST", path, {"messages_per_second": per_second, "burst_count": burst})

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={"Content-Type": "application/json"}
            | ({"Authorization": f"Bearer {self.admin_token}"} if self.admin_token else {}),
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())


def start(data_dir: Path) -> Synapse:
    """A running Synapse with an admin user, once it answers (at most 60 s)."""
    port = free_port()
    secret = secrets.token_hex(16)
    data_dir.mkdir(parents=True, exist_ok=True)
    config = data_dir / "homeserver.yaml"
    config.write_text(
        Template(CONFIG.read_text()).substitute(
            server_name=SERVER_NAME, data_dir=data_dir, port=port, shared_secret=secret
        )
    )
    (data_dir / "log.yaml").write_text(
        _LOG_CONFIG.replace("LOG_FILE", str(data_dir / "homeserver.log"))
    )
    command = [sys.executable, "-m", "synapse.app.homeserver", "-c", str(config)]
    subprocess.run([*command, "--generate-missing-configs"], check=True, capture_output=True)
    with (data_dir / "stdout.log").open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    server = Synapse(process, f"http://127.0.0.1:{port}", secret, data_dir)
    deadline = time.monotonic() + 60
    while True:
        try:
            server._call("GET", "/_matrix/client/versions")
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop(server)
                raise RuntimeError(f"Synapse did not start; see {data_dir}") from None
            time.sleep(0.2)
    server.register("admin", secrets.token_hex(8), admin=True)
    return server


def stop(server: Synapse) -> None:
    """Terminate by its PID, kill if it lingers, and reap it."""
    server.process.terminate()
    try:
        server.process.wait(15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(10)
