"""Embedders: the local packaged model and a Text Embeddings Inference server."""
