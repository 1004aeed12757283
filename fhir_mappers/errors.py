"""The one exception family of `fhir_mappers`: input that cannot be read as a FHIR R4 record."""

from __future__ import annotations


class FhirInputError(ValueError):
    """A payload or resource that cannot be mapped; the message is one line naming the culprit
    (e.g. ``Observation/abc: valueQuantity.value: ...``), fit for a CLI error or a 400/412 body.
    """

    def __init__(self, message: str) -> None:
        one_line = " ".join(str(message).split())
        super().__init__(one_line)
        self.message = one_line
