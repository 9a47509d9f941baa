-- Store bookkeeping: schema version, world name, id counter, clock.
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
