"""mmplug: develop Mattermost server plugins in Python without a Mattermost server."""

__version__ = "0.1.0"
