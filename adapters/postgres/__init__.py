"""PostgreSQL + pgvector: the embedded server, the pool, migrations, the corpus and the audit."""
