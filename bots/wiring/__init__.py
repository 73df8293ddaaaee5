"""The composition root, by concern: settings (bots.settings) → infrastructure (database.py:
the database and its pools; models.py: the models and servers) → policies (policies.py) → the
application (application.py: the pipeline, the corpus, the conversation services, health),
with the documents an import reads (documents.py), a first run's demo corpus (first_run.py)
and a long-lived process's warm-up (warm_up.py). What the commands and bots use is here."""

from bots.wiring.application import App, build_app
from bots.wiring.documents import (
    EMPTY_CORPUS,
    INGEST_ADVICE,
    demo_corpus_dir,
    read_files,
    store_drug_names,
)
from bots.wiring.first_run import ensure_demo_corpus
from bots.wiring.models import generator, load_lexicon, preload_models
from bots.wiring.warm_up import prewarm_budget

__all__ = [
    "EMPTY_CORPUS",
    "INGEST_ADVICE",
    "App",
    "build_app",
    "demo_corpus_dir",
    "ensure_demo_corpus",
    "generator",
    "load_lexicon",
    "preload_models",
    "prewarm_budget",
    "read_files",
    "store_drug_names",
]
