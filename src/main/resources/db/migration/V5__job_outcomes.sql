-- The figures a succeeded job's kind produced (final test loss, k-means objective, samples per second), as JSON.
-- Runs on H2 and PostgreSQL; rows of jobs finished before this column have none.
ALTER TABLE jobs ADD COLUMN outcome_json TEXT;
