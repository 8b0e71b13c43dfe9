-- The last version number handed out per model. Publishers take the next number under this row's lock, in a
-- transaction of its own, so two workers publishing versions of one model at once never pick the same number.
-- Numbers are never reused, not even after the newest version is deleted: a reference like name@4 means one model.
CREATE TABLE model_version_numbers (
    name         VARCHAR(64) NOT NULL PRIMARY KEY,
    last_version INTEGER     NOT NULL
);

INSERT INTO model_version_numbers (name, last_version)
SELECT name, MAX(version) FROM model_versions GROUP BY name;
