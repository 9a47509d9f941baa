-- Slash commands registered by plugins with RegisterCommand. The server keeps these in
-- memory only (gone when the plugin deactivates); the fake host keeps them here so every
-- process of a session sees them. Server-owned commands (CreateCommand) live in `commands`.
CREATE TABLE IF NOT EXISTS plugin_commands (
    plugin_id TEXT NOT NULL,
    team_id   TEXT NOT NULL DEFAULT '',   -- '' = every team
    trigger   TEXT NOT NULL,
    data      TEXT NOT NULL,
    PRIMARY KEY (team_id, trigger)
);
CREATE INDEX IF NOT EXISTS plugin_commands_by_plugin ON plugin_commands(plugin_id);

-- Trigger ids handed to ExecuteCommand (CommandArgs.trigger_id), valid for OpenInteractiveDialog
-- for a short while.
CREATE TABLE IF NOT EXISTS trigger_ids (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
