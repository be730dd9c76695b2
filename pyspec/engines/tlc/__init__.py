"""TLC: find the jar, run it on exported models, read its output back."""

from .jar import ToolMissing, Tools, resolve
from .run import Job, Options, check_model, met, plan, run_job

__all__ = ["Tools", "ToolMissing", "resolve", "Job", "Options", "check_model", "met", "plan", "run_job"]
