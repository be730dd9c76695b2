"""The typed intermediate representation shared by every backend."""

from .nodes import *  # noqa: F401,F403
