"""Argument types of the command line: values out of range are refused by
argparse (exit code 2, with the option named), never silently changed."""

from __future__ import annotations

import argparse


def _int_at_least(text: str, lo: int) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= {lo}, got {text!r}") from None
    if n < lo:
        raise argparse.ArgumentTypeError(f"expected a whole number >= {lo}, got {n}")
    return n


def positive_int(text: str) -> int:
    """An int >= 1."""
    return _int_at_least(text, 1)


def natural_int(text: str) -> int:
    """An int >= 0."""
    return _int_at_least(text, 0)


def positive_seconds(text: str) -> float:
    """A duration > 0, in seconds."""
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not x > 0 or x != x or x == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text}")
    return x


def seconds(text: str) -> float:
    """A duration >= 0, in seconds (0: as often as possible)."""
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not x >= 0 or x == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, got {text}")
    return x


def name(text: str) -> str:
    """A model or property name: not empty (an empty one would mean "none
    given" to some commands and "no such name" to others)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a name, got an empty string")
    return text


def port(text: str) -> int:
    """A TCP port, 1..65535."""
    n = positive_int(text)
    if n > 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535, got {n}")
    return n


def tlc_workers(text: str) -> str:
    """TLC's -workers: a whole number >= 1, or 'auto'."""
    if text == "auto":
        return text
    return str(positive_int(text))


__all__ = ["name", "positive_int", "natural_int", "positive_seconds", "seconds", "port", "tlc_workers"]
