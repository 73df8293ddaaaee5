-- A document withdrawn from an official source (a medicine no longer in the BDPM release) is
-- retired, not deleted: the audit trail may cite it, retrieval must not find it.
ALTER TABLE documents ADD COLUMN retired_at timestamptz;
CREATE INDEX documents_active ON documents (id) WHERE retired_at IS NULL;
