from cairn.settings.base import *  # noqa: F403
