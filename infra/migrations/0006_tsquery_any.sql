-- OR over a set of tsquery values (the || operator as an aggregate): the full-text arm of the
-- hybrid search builds "any two of the question's terms" with it.
CREATE AGGREGATE tsquery_any(tsquery) (SFUNC = tsquery_or, STYPE = tsquery);
