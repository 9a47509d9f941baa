"""mmplug's pytest plugin (registered through the ``pytest11`` entry point).

The fixtures for plugin authors (a fake-host session per test) are added by the
``mmplug new`` / testing work; this module must stay importable and cheap meanwhile.
"""
