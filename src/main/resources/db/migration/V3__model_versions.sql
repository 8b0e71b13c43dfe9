-- The model registry: a version exists for readers exactly when its row exists. Its files live under
-- <storage root>/models/<name>/<version>/ and are in place before the row is inserted.
CREATE TABLE model_versions (
    name          VARCHAR(64)  NOT NULL,
    version       INTEGER      NOT NULL,
    family        VARCHAR(32)  NOT NULL,
    manifest_json TEXT         NOT NULL,
    job_id        VARCHAR(40),
    created_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (name, version)
);
