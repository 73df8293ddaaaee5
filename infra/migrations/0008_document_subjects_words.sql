-- The documents about a subject: those with a subject that holds all its words ("chlorhydrate de
-- metformine" is about "metformine"). Retrieval looks them up when the search found none about
-- every drug a question names (PgCorpus.about).
CREATE INDEX document_subjects_words ON document_subjects USING gin (words);
