"""The one error tree of MedGPT; adapters map foreign exceptions onto it at their boundary.

    MedGPTError
    ├── InputError              the user's input cannot be processed (clear message, exit code 2)
    │   ├── EmptyQuestion
    │   └── QuestionTooLong
    ├── DocumentError           one file or record could not be ingested (reported, skipped)
    │   ├── UnreadableDocument  binary, unknown encoding, corrupt PDF
    │   ├── UnsupportedFormat
    │   └── EmptyDocument       no text to index (e.g. a scanned PDF)
    ├── StoreError              the corpus database
    │   ├── StoreUnavailable    cannot connect / server down / cannot start
    │   ├── StoreBusy           locked by another process past the lock timeout
    │   └── IndexMismatch       the index was built by another embedding model
    ├── EmbedderError           the embedding model or server failed
    └── GeneratorError          the answer generator (an inference server) failed
        ├── GeneratorBusy       429 / overloaded, still so after bounded retries
        ├── GeneratorUnavailable  not ready (503), refused connection, timeout, circuit open
        ├── GeneratorRejected   the server refused the request (400 / 422 validation)
        └── GeneratorProtocolError  an error inside a 200 stream, malformed or truncated SSE

Every error carries a message written for the person who reads it (a clinician or an operator),
never a traceback.
"""

from __future__ import annotations


class MedGPTError(Exception):
    """Base of every error the product raises on purpose."""


class InputError(MedGPTError):
    """The input cannot be processed as given."""


class EmptyQuestion(InputError):
    """The question is empty or only whitespace."""


class QuestionTooLong(InputError):
    """The question is longer than the configured limit."""


class DocumentError(MedGPTError):
    """A document could not be ingested; the others still go in."""


class UnreadableDocument(DocumentError):
    """The file is binary, corrupt, or in an encoding we cannot identify."""


class UnsupportedFormat(DocumentError):
    """No parser handles this kind of file."""


class EmptyDocument(DocumentError):
    """The document has no text to index."""


class StoreError(MedGPTError):
    """The corpus database failed."""


class StoreUnavailable(StoreError):
    """The database cannot be reached or started."""


class StoreBusy(StoreError):
    """Another process holds a lock we need; retrying later should work."""


class IndexMismatch(StoreError):
    """The index was built with another embedding model or dimension."""


class EmbedderError(MedGPTError):
    """The embedding model or server failed."""


class GeneratorError(MedGPTError):
    """The answer generator failed."""


class GeneratorBusy(GeneratorError):
    """The inference server is overloaded; asking again later should work."""


class GeneratorUnavailable(GeneratorError):
    """The inference server is not reachable, not ready, too slow, or known to be down."""


class GeneratorRejected(GeneratorError):
    """The inference server refused the request as invalid."""


class GeneratorProtocolError(GeneratorError):
    """The inference server's answer was broken: an error event, bad SSE, a truncated stream."""
