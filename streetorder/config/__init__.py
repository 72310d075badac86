"""Configuration files: YAML validated by pydantic, errors name the file, the key and why."""

from streetorder.config.common import BrokerConfig, TlsConfig
from streetorder.config.loader import load_yaml, validate_mapping

__all__ = ["BrokerConfig", "TlsConfig", "load_yaml", "validate_mapping"]
