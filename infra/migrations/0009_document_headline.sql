-- What a clinician must see with every source that cites the document, even where the sentences
-- quoted leave it out (DocumentMeta.headline: an interaction's level). Shown, never searched.
ALTER TABLE documents ADD COLUMN headline text;
