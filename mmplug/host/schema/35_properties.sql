-- The property system (custom profile attributes and plugin-defined properties):
-- groups by name, fields in a group, values of a field for a target.
CREATE TABLE IF NOT EXISTS property_groups (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE IF NOT EXISTS property_fields (
    id        TEXT PRIMARY KEY,
    group_id  TEXT NOT NULL,
    target_id TEXT NOT NULL DEFAULT '',
    name      TEXT NOT NULL,
    delete_at INTEGER NOT NULL DEFAULT 0,
    data      TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS property_fields_live_name
    ON property_fields(group_id, target_id, name) WHERE delete_at = 0;

CREATE TABLE IF NOT EXISTS property_values (
    id        TEXT PRIMARY KEY,
    group_id  TEXT NOT NULL,
    field_id  TEXT NOT NULL,
    target_id TEXT NOT NULL,
    delete_at INTEGER NOT NULL DEFAULT 0,
    data      TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS property_values_live
    ON property_values(group_id, target_id, field_id) WHERE delete_at = 0;
