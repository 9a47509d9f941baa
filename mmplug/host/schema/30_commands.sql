-- Slash commands registered by plugins with RegisterCommand. The server keeps these in
-- memory only (gone when the plugin deactivates); the fake host keeps them here so every
-- process of a session sees them. Server-owned commands (CreateCommand) live in `commands`.
-- The server keeps a list: several plugins may register the same trigger for the same team
-- (the first one registered runs it), and a plugin registering its own trigger again replaces
-- its entry in place; rowid order is that registration order.
CREATE TABLE IF NOT EXISTS plugin_slash_commands (
    plugin_id TEXT NOT NULL,
    team_id   TEXT NOT NULL DEFAULT '',   -- '' = every team
    trigger   TEXT NOT NULL,
    data      TEXT NOT NULL,
    PRIMARY KEY (plugin_id, team_id, trigger)
);
CREATE INDEX IF NOT EXISTS plugin_slash_commands_by_trigger
    ON plugin_slash_commands(trigger, team_id);

-- Trigger ids handed to ExecuteCommand (CommandArgs.trigger_id), valid for OpenInteractiveDialog
-- for a short while.
CREATE TABLE IF NOT EXISTS trigger_ids (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
