-- The documents about a subject: those with a subject that holds all its words ("chlorhydrate de
-- metformine" is about "metformine"). Retrieval looks them up when the search found none about
-- every drug a question names (PgCorpus.about).
CREATE INDEX document_subjects_words ON document_subjects USING gin (words);
-- A document about two sides (an interaction: a drug or class + another) says on which side each
-- subject is (DocumentMeta.subject_sides: 1 the first, 2 the second, 3 both; 0 or none: one
-- side). Two drugs of the same side are not what it is about together.
ALTER TABLE documents ADD COLUMN subject_sides smallint[] NOT NULL DEFAULT '{}';
ALTER TABLE document_subjects ADD COLUMN side smallint NOT NULL DEFAULT 0;
