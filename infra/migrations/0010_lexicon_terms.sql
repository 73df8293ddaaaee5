-- Drug names the importers read from the official sources, for the understanding step
-- (core/understand.py): a BDPM brand is read as its substances, an ANSM thesaurus class as its
-- members. Added to the tables shipped with the package when the application starts; a new
-- import of a source replaces that source's rows.
CREATE TABLE lexicon_terms (
    source      text NOT NULL,                                  -- bdpm, ansm-interactions
    name        text NOT NULL,                                  -- as the source spells it
    kind        text NOT NULL CHECK (kind IN ('brand', 'class')),
    meanings    text[] NOT NULL CHECK (cardinality(meanings) > 0),  -- substances / members
    imported_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, kind, name)
);
