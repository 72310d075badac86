"""Schema bases and the list envelope."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar

from annotated_types import Ge, Le
from pydantic import BaseModel, ConfigDict, model_validator

T = TypeVar("T")
MAX_ID = 2**63 - 1
MAX_OFFSET = 10**9
#: a row id in a path or query: 1 .. 2**63-1 (larger is a 422, not a database error)
Id = Annotated[int, Ge(1), Le(MAX_ID)]
#: how many rows a list skips
Offset = Annotated[int, Ge(0), Le(MAX_OFFSET)]


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class In(BaseModel):
    """Request bodies: unknown fields are errors, and so is a NUL character in any text."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    #: fields an update may leave out but not set to null (their columns hold a value)
    not_null: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if _has_nul(data):
            raise ValueError("text may not contain NUL characters")
        return data

    @model_validator(mode="after")
    def _not_null(self) -> Self:
        nulls = [
            f for f in self.not_null if f in self.model_fields_set and getattr(self, f) is None
        ]
        if nulls:
            raise ValueError(f"{', '.join(nulls)} may be left out but not set to null")
        return self


class Out(BaseModel):
    """Response bodies, read from ORM objects."""

    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    data: list[T]
    count: int


class Message(BaseModel):
    detail: str
