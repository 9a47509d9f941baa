"""The Plugin Explorer: a local web console for a plugin under the fake host.

``mmplug dev`` serves it on loopback (a URL with a random token, printed at start); ``mmplug
explore`` opens a project's state and last trace when no dev session runs. See docs/explorer.md.

* :mod:`.capture`: the one adapter from the session's and the dev loop's observer calls to the
  explorer's trace entries (when the session reports one event per call, only this changes);
* :mod:`.trace`: the trace itself, a sidecar SQLite file (``.mmplug/trace.db``): memory stays
  bounded, older calls live on disk;
* :mod:`.backend`: what the explorer works on, a running dev loop or a project's state alone;
* :mod:`.actions`: what a world user does in the chat (post, command, react, edit, delete,
  submit a dialog), taking the server's path;
* :mod:`.state`: KV, users, channels, posts, files, settings, snapshots;
* :mod:`.keep`: calls saved as a cassette and as a pytest test;
* :mod:`.api` (the JSON API, its OpenAPI document) and :mod:`.server` (aiohttp, the token).
"""
