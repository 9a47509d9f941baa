-- Shared channels: remotes (plugins registered with RegisterPluginForSharedChannels), the
-- channels shared, and which remote each channel is shared with (with its sync cursor).
CREATE TABLE IF NOT EXISTS remote_clusters (
    remote_id TEXT PRIMARY KEY,
    plugin_id TEXT NOT NULL DEFAULT '',
    data      TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS remote_clusters_plugin
    ON remote_clusters(plugin_id) WHERE plugin_id <> '';

CREATE TABLE IF NOT EXISTS shared_channels (
    channel_id TEXT PRIMARY KEY REFERENCES channels(id) ON DELETE CASCADE,
    data       TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS shared_channel_remotes (
    channel_id          TEXT NOT NULL REFERENCES shared_channels(channel_id) ON DELETE CASCADE,
    remote_id           TEXT NOT NULL REFERENCES remote_clusters(remote_id) ON DELETE CASCADE,
    creator_id          TEXT NOT NULL DEFAULT '',
    create_at           INTEGER NOT NULL,
    last_post_update_at INTEGER NOT NULL DEFAULT 0,
    last_post_id        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (channel_id, remote_id)
);
