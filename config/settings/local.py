"""Development and demo: embedded defaults (SQLite, filesystem broker), DEBUG on."""
import os

from config.settings.base import *  # noqa: F403
from config.settings.base import env_bool

SECRET_KEY = os.environ.get("SECRET_KEY") or "insecure-local-development-key-change-me"
DEBUG = env_bool("DEBUG", True)
