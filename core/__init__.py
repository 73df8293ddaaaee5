"""The domain of MedGPT: messages, ports, errors and the answering pipeline (pure Python)."""
