-- Corpus (documents -> passages), the identity of the embedding model that built the index,
-- and the first cut of the append-only audit trail.
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS unaccent;

-- One row: which embedding model and dimension built every stored embedding.
CREATE TABLE index_meta (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    embedding_model text    NOT NULL,
    dimension       integer NOT NULL CHECK (dimension > 0),
    weights_sha256  text,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE documents (
    id           bigserial PRIMARY KEY,
    source_key   text NOT NULL UNIQUE,     -- file path, or path#record for JSON Lines
    title        text NOT NULL,
    publisher    text,
    url          text,
    language     text NOT NULL CHECK (language IN ('fr', 'en')),
    published    date,
    reviewed     date,
    licence      text,
    version      text,
    source_title text,
    is_demo      boolean NOT NULL DEFAULT false,
    content_hash text NOT NULL,
    ingested_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_publisher ON documents (publisher);

-- The dimension is not fixed here: it belongs to the model recorded in index_meta, and the
-- HNSW index is created over a cast to that dimension when the first embeddings arrive.
CREATE TABLE passages (
    id           bigserial PRIMARY KEY,
    document_id  bigint  NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    ordinal      integer NOT NULL,
    section_path text[]  NOT NULL,
    text         text    NOT NULL,
    embedding    vector  NOT NULL,
    tsv          tsvector NOT NULL,
    UNIQUE (document_id, ordinal)
);
CREATE INDEX passages_tsv ON passages USING gin (tsv);

-- Append-only: rows are inserted, never changed. The tamper-evident chain builds on this table.
CREATE TABLE audit_events (
    id                 bigserial PRIMARY KEY,
    occurred_at        timestamptz NOT NULL,
    event              text NOT NULL,
    platform           text NOT NULL,
    conversation_id    text NOT NULL,
    user_pseudonym     text NOT NULL,
    language           text NOT NULL,
    question           text NOT NULL,
    outcome            text NOT NULL,
    latency_ms         integer NOT NULL,
    reply_text         text NOT NULL,
    disclaimer_version text NOT NULL,
    generator          text,
    passage_ids        bigint[] NOT NULL,
    document_hashes    text[] NOT NULL,
    details            jsonb NOT NULL
);
CREATE INDEX audit_events_conversation ON audit_events (platform, conversation_id, occurred_at);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
