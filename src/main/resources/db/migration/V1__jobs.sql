-- Jobs: one row per submitted job. Runs on H2 (embedded default) and PostgreSQL.
CREATE TABLE jobs (
    id               VARCHAR(40)  NOT NULL PRIMARY KEY,
    type             VARCHAR(32)  NOT NULL,
    state            VARCHAR(16)  NOT NULL,
    model_name       VARCHAR(64)  NOT NULL,
    request_json     TEXT         NOT NULL,
    progress_json    TEXT,
    error            TEXT,
    result_version   INTEGER,
    attempts         INTEGER      NOT NULL DEFAULT 0,
    cancel_requested BOOLEAN      NOT NULL DEFAULT FALSE,
    created_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    started_at       TIMESTAMP WITH TIME ZONE,
    finished_at      TIMESTAMP WITH TIME ZONE
);

CREATE INDEX jobs_state_created ON jobs (state, created_at);
