-- What each document is about (DocumentMeta.subjects: the medicines and substances it names as its
-- subject): as written, returned with every passage; and each subject's words (accent-folded,
-- in order, core.text.subject_tokens), to find the subjects a question names: it holds their words
-- one after the other.
-- They are looked up by their longest word ("metformine" in "chlorhydrate de metformine"): one
-- index probe per question word finds the few subjects it could complete, where a GIN index on
-- the words would also bring every subject holding "de".
ALTER TABLE documents ADD COLUMN subjects text[] NOT NULL DEFAULT '{}';
CREATE TABLE document_subjects (
    document_id bigint NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    words       text[] NOT NULL CHECK (cardinality(words) > 0),
    longest     text   NOT NULL,
    PRIMARY KEY (document_id, words)
);
CREATE INDEX document_subjects_longest ON document_subjects (longest);
