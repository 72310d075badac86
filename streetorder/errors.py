"""Errors that the command line reports as one clear line instead of a traceback."""

from __future__ import annotations


class StreetorderError(Exception):
    """A user-facing failure: bad input, bad config, unreachable service."""


class ConfigError(StreetorderError):
    """A configuration file or value is invalid. The message names the file, key and reason."""


class ContractError(StreetorderError):
    """A message crossing a process boundary does not match its schema."""
