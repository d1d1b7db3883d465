"""Developer machine: the embedded default (SQLite, eager Celery) unless the environment says
otherwise."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
