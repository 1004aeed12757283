"""CDS Hooks 2.0 card wire models (https://cds-hooks.hl7.org/2.0/#card-attributes).

Field names on the wire are camelCase through aliases; Python attributes are snake_case.
`None` means "absent": every model drops its own unset optional fields when serialised, but
leaves JSON nulls inside free-form objects (FHIR resources, the extension) untouched, so the
assessment in the extension keeps its `null`s.
"""

from __future__ import annotations

import re
import uuid as uuid_lib
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from pydantic import (
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from cds_service.cards.wire import fast_wire
from scoring.fast_reads import FastReadModel

SUMMARY_LIMIT = 140
"""The spec says "<140-character": a summary must be strictly shorter than this."""


class Indicator(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class SelectionBehavior(StrEnum):
    AT_MOST_ONE = "at-most-one"
    ANY = "any"


class ActionType(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class LinkType(StrEnum):
    ABSOLUTE = "absolute"
    SMART = "smart"


# Any character `str.isspace` calls whitespace (re's `\s` in a str pattern is the same test,
# Py_UNICODE_ISSPACE): one search in C, not a generator step per character of the URL (3 URLs,
# ~100 characters, per card).
_SPACE = re.compile(r"\s")


# The canonical 8-4-4-4-12 form (either case) of a UUID, which `uuid.UUID` accepts.
_CANONICAL_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


def uuid_bytes(value: str) -> bytes:
    """`uuid.UUID(value).bytes` (ValueError if `value` is no UUID): for the canonical form, its
    hex digits read directly, without the UUID object's checks and formatting (~4x faster);
    any other text as `uuid.UUID` reads it."""
    if type(value) is str and _CANONICAL_UUID.fullmatch(value) is not None:
        return bytes.fromhex(value.replace("-", ""))
    return uuid_lib.UUID(value).bytes


def _absolute_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an absolute http(s) URL: {value!r}")
    if _SPACE.search(value) is not None:
        raise ValueError(f"URL contains whitespace: {value!r}")
    return value


class _WireModel(FastReadModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )

    @model_serializer(mode="wrap")
    def _drop_absent(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Only this model's own fields: nulls inside dict-typed fields are data, not absence.
        return {key: value for key, value in handler(self).items() if value is not None}

    def to_wire(self) -> dict[str, Any]:
        """The dict with CDS Hooks field names, for the response encoder: `wire_by_pydantic`,
        built faster; a value written out as JSON already may be `JsonText` (cards/wire.py),
        whose JSON is that of the value `wire_by_pydantic` holds."""
        wire = fast_wire(self)
        return wire if wire is not None else self.wire_by_pydantic()

    def wire_by_pydantic(self) -> dict[str, Any]:
        """`to_wire` as pydantic serialises it: the reference the fast path must equal."""
        return self.model_dump(mode="json", by_alias=True)


class Coding(_WireModel):
    """https://cds-hooks.hl7.org/2.0/#coding: `code` and `system` required."""

    code: str = Field(min_length=1)
    system: str = Field(min_length=1)
    display: str | None = None


class Source(_WireModel):
    """https://cds-hooks.hl7.org/2.0/#source"""

    label: str = Field(min_length=1)
    url: str | None = None
    icon: str | None = None
    topic: Coding | None = None

    @field_validator("url", "icon")
    @classmethod
    def _urls_absolute(cls, value: str | None) -> str | None:
        return None if value is None else _absolute_url(value)


# Read once: an enum member read from its class is a slow attribute read on each call.
_NEEDS_RESOURCE = (ActionType.CREATE, ActionType.UPDATE)


class Action(_WireModel):
    """https://cds-hooks.hl7.org/2.0/#action"""

    type: ActionType
    description: str = Field(min_length=1)
    resource: dict[str, Any] | None = None
    resource_id: str | None = Field(default=None, alias="resourceId")

    @model_validator(mode="after")
    def _target_present(self) -> Action:
        if self.type in _NEEDS_RESOURCE:
            if self.resource is None:
                raise ValueError(f"a {self.type} action needs a resource")
            if not isinstance(self.resource.get("resourceType"), str):
                raise ValueError("action resource has no resourceType")
        elif self.resource_id is None and self.resource is None:
            raise ValueError("a delete action needs a resourceId")
        return self


class Suggestion(_WireModel):
    """https://cds-hooks.hl7.org/2.0/#suggestion"""

    label: str = Field(min_length=1)
    uuid: str | None = None
    is_recommended: bool | None = Field(default=None, alias="isRecommended")
    actions: list[Action] | None = None


class Link(_WireModel):
    """https://cds-hooks.hl7.org/2.0/#link: `appContext` only on `smart` links."""

    label: str = Field(min_length=1)
    url: str
    type: LinkType
    app_context: str | None = Field(default=None, alias="appContext")
    auto_launchable: bool | None = Field(default=None, alias="autoLaunchable")

    @field_validator("url")
    @classmethod
    def _url_absolute(cls, value: str) -> str:
        return _absolute_url(value)

    @model_validator(mode="after")
    def _app_context_only_smart(self) -> Link:
        if self.app_context is not None and self.type is not LinkType.SMART:
            raise ValueError("appContext is only valid on smart links")
        return self


class Card(_WireModel):
    """https://cds-hooks.hl7.org/2.0/#card-attributes"""

    uuid: str | None = None
    summary: str
    detail: str | None = None
    indicator: Indicator
    source: Source
    suggestions: list[Suggestion] | None = None
    selection_behavior: SelectionBehavior | None = Field(default=None, alias="selectionBehavior")
    override_reasons: list[Coding] | None = Field(default=None, alias="overrideReasons")
    links: list[Link] | None = None
    extension: dict[str, Any] | None = None

    @field_validator("uuid")
    @classmethod
    def _uuid_format(cls, value: str | None) -> str | None:
        if value is not None:
            uuid_bytes(value)  # raises ValueError with the reason
        return value

    @field_validator("summary")
    @classmethod
    def _summary_short(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("summary is empty")
        if len(value) >= SUMMARY_LIMIT:
            raise ValueError(f"summary has {len(value)} characters; must be < {SUMMARY_LIMIT}")
        if "\n" in value or "\r" in value:
            raise ValueError("summary must be one line")
        return value

    @field_validator("override_reasons")
    @classmethod
    def _reasons_displayed(cls, value: list[Coding] | None) -> list[Coding] | None:
        for coding in value or []:
            if not coding.display:
                raise ValueError(f"override reason {coding.code!r} has no display")
        return value

    @model_validator(mode="after")
    def _suggestions_consistent(self) -> Card:
        suggestions = self.suggestions or []
        if suggestions and self.selection_behavior is None:
            raise ValueError("selectionBehavior is required when suggestions are present")
        if self.selection_behavior is SelectionBehavior.AT_MOST_ONE:
            recommended = [s for s in suggestions if s.is_recommended]
            if len(recommended) > 1:
                raise ValueError("at-most-one allows at most one recommended suggestion")
        ids = [s.uuid for s in suggestions if s.uuid is not None]
        if len(ids) != len(set(ids)):
            raise ValueError("suggestion uuids must be unique within a card")
        return self


class CardsResponse(_WireModel):
    """https://cds-hooks.hl7.org/2.0/#cds-service-response"""

    cards: list[Card] = Field(default_factory=list)
