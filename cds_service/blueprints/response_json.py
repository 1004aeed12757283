"""Response bodies encoded by orjson: the same JSON values, in the same key order, as Flask's
default provider wrote them.

Flask's provider (stdlib `json`, compact separators, `ensure_ascii`, keys unsorted here) cost
~2.3 M instructions for a hook call's ~25 KB of cards, a tenth of the whole call; orjson ~0.2 M.
What a client parses is unchanged: orjson writes dicts in insertion order, and whatever it would
write as another value than the stdlib does goes the stdlib way (`fast_dumps` returns None):
dates, dataclasses, Decimal, Markup and subclasses of str, int, dict or list (Flask's `default`
serialises them), an int beyond 64 bits, a non-str dict key, nesting deeper than 255.

The bytes differ in notation only (pinned by tests/test_server_response_json.py):
- characters beyond ASCII (the cards' "—", "≥", "²"...) and DEL are written as UTF-8, not as
  `\\uXXXX` escapes: JSON between systems is UTF-8 (RFC 8259 §8.1), and a parser reads both
  forms as the same string;
- a float below 1e-4 is written `1e-7` or `0.00001` where the stdlib wrote `1e-07`, `1e-05`
  (the same number; from 1e-4 up both write the same shortest round-trip digits);
- a NaN or infinite float would be `null` where the stdlib wrote `NaN`/`Infinity`, which is not
  JSON; none reaches a response (the mappers refuse non-finite measurements,
  fhir_mappers/plausibility.py).
Escaping only the non-ASCII characters after orjson, and looking for floats in the bytes, cost
as much as the stdlib encoding saved (measured): the service sends orjson's bytes as they are.

A `JsonText` in the value (a card's extension, cards/wire.py `model_json`) is JSON orjson wrote
already: its bytes go into the body as they are; the stdlib path writes the value they hold.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider

from cds_service.cards.wire import JsonText

# Types orjson would write its own way go to `default`, which sends the value the stdlib way.
_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


class _StdlibOnly(TypeError):
    """A value whose JSON only the stdlib path (with Flask's `default`) writes as it always was."""


def _written_or_refused(value: object) -> Any:
    if type(value) is JsonText:
        return orjson.Fragment(value.json)
    raise _StdlibOnly


def fast_dumps(value: object, option: int = 0) -> bytes | None:
    """The compact JSON of `value` with keys in insertion order, or None where only the
    stdlib's `json.dumps` (with Flask's `default`) writes the value the app has always sent.
    `option`: further orjson options (orjson.OPT_APPEND_NEWLINE)."""
    try:
        return orjson.dumps(value, default=_written_or_refused, option=_OPTIONS | option)
    except TypeError:  # orjson.JSONEncodeError, and _StdlibOnly through it
        return None


def _default(value: object) -> Any:
    """Flask's `default`, and a `JsonText` as the value it holds."""
    if type(value) is JsonText:
        return value.value()
    return DefaultJSONProvider.default(value)


class OrjsonProvider(DefaultJSONProvider):
    """Flask's default provider with `response` (jsonify) encoded by orjson (`fast_dumps`)
    when its settings are the ones the service runs with; otherwise, and for `dumps`, the
    stdlib writes every byte as before."""

    sort_keys = False
    default = staticmethod(_default)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        if self._fast_applies():
            # The newline Flask's provider ends the body with, written by orjson (no copy).
            body = fast_dumps(self._prepare_response_obj(args, kwargs), orjson.OPT_APPEND_NEWLINE)
            if body is not None:
                return self._app.response_class(body, mimetype=self.mimetype)
        return super().response(*args, **kwargs)

    def _fast_applies(self) -> bool:
        # What `fast_dumps` writes: compact (outside debug), insertion order, Flask's default.
        compact = self.compact is True or (self.compact is None and not self._app.debug)
        return compact and not self.sort_keys and self.default is _default
