"""The record as an index: resources by type and reference, each validated at most once.

One bad resource costs only itself (issue 9, clinical.md §3): every entry a mapper gets from
`of_type` or `resolve` has been validated with the `fhir.resources.R4B` model of its type and is
about the record's Patient (`ownership`). An invalid resource (two value[x], a wrong type, a
numeric date, a missing required element, an unknown resourceType, an item that is not a
resource) and a resource of another patient are left out with a warning naming them
("Observation/x: not valid FHIR R4 (...); not used"), never the whole record refused.

Validation is lazy: a resource is validated when a mapper first asks for its model, so the
many resources no mapper uses (vital signs, unrelated labs) cost nothing. When a resource a
mapper asked for turns out invalid, `model()` raises `RecordNeedsValidation`; the record is then
mapped again (`record.inputs_from_resources`) with the index in eager mode, where `of_type` and
`resolve` validate every entry before handing it out, so no mapper ever holds an invalid one. At
most one extra pass, whatever the record holds. A container is validated without its
`contained` resources, which are validated on their own, so a bad contained Observation does not
cost its DiagnosticReport.

Refused whole (FhirInputError): `resources` not a list, and several different Patients (whose
record it is would be a guess). A record without any Patient resource uses no patient data
(nothing can be tied to a patient): every clinical resource is left out with a warning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import BaseModel, ValidationError

from fhir_mappers import fhir_core_speedups
from fhir_mappers.concepts import Concept, concept
from fhir_mappers.errors import FhirInputError
from fhir_mappers.fhir_core_fast import one_pass_model, shipped_model
from fhir_mappers.json_dates import non_string_date
from fhir_mappers.ownership import PatientIdentity, ownership_problem
from fhir_mappers.payload import Unreadable
from fhir_mappers.quoting import quoted
from fhir_mappers.validation_messages import plain_message

# Before this module (the one user of the R4B model classes) can build one: a class binds
# fhir_core's validators when it is created (same checks, per-class work done once).
fhir_core_speedups.install()


_UNSET: Any = object()


class RecordNeedsValidation(Exception):
    """A mapper asked for the model of an invalid resource: map the record again (the index is
    now eager). Deliberately not a FhirInputError/ValueError, so no handler swallows it."""


@dataclass(init=False, slots=True)
class Entry:
    raw: dict[str, Any]
    rtype: str
    ref: str  # "Type/id", or "Container/id#local" for a contained resource
    container: Entry | None = None
    contained: dict[str, Entry] = field(default_factory=dict)
    # the index's answers about it: about the record's Patient (None: not asked yet), and its
    # validated model (None: invalid; `_UNSET`: not validated yet)
    _code: Concept | None = field(default=None, init=False, repr=False, compare=False)
    _owned: bool | None = field(default=None, init=False, repr=False, compare=False)
    _model: Any = field(default=None, init=False, repr=False, compare=False)

    def __init__(
        self,
        raw: dict[str, Any],
        rtype: str,
        ref: str,
        container: Entry | None = None,
        contained: dict[str, Entry] | None = None,
    ) -> None:
        # the dataclass's __init__ without its default-factory test (one Entry per resource)
        self.raw = raw
        self.rtype = rtype
        self.ref = ref
        self.container = container
        self.contained = {} if contained is None else contained
        self._code = None
        self._owned = None
        self._model = _UNSET

    @property
    def code(self) -> Concept:
        """`concept(raw["code"])`, kept on the entry: eight mappers ask it of every Observation
        (the JSON is never changed while a record is mapped)."""
        found = self._code
        if found is None:
            found = self._code = concept(self.raw.get("code"))
        return found


class RecordIndex:
    def __init__(self, resources: list[Any], *, fhir_base: str | None = None) -> None:
        """`fhir_base`: the FHIR server the record came from (the hook's `fhirServer`), when
        known; absolute references to the Patient must then be on it."""
        if not isinstance(resources, list):
            raise FhirInputError("resources must be a list of resource objects")
        self.warnings: list[str] = []
        self._entries: list[Entry] = []
        self._by_ref: dict[str, Entry] = {}
        self._by_url: dict[str, Entry] = {}
        self._by_type: dict[str, list[Entry]] = {}
        # per mode (`_eager` indexes them: False 0, True 1), by type: `_usable_of`'s lists and
        # `codings_of`'s sets (no (type, mode) tuple built and hashed per ask)
        self._usable_lists: tuple[dict[str, list[Entry]], dict[str, list[Entry]]] = ({}, {})
        self._codings: tuple[dict[str, frozenset[tuple[str, str]]], ...] = ({}, {})
        self._eager = False  # validate every entry before handing it out (after a bad one)
        full_urls: dict[int, str] = getattr(resources, "full_urls", {})
        contained_ids = {
            id(c)
            for r in resources
            if isinstance(r, dict) and "contained" in r  # most hold none: no call for them
            for c in _contained(r)
        }
        for position, raw in enumerate(resources):
            if id(raw) not in contained_ids:
                self._add(raw, position, None, full_urls.get(id(raw)) if full_urls else None)
        self.patient = self._single_patient()
        pid = self.patient.raw.get("id") if self.patient else None
        url = self._url_of(self.patient)
        pid = pid if isinstance(pid, str) else ""
        # without an id the Patient can still be referenced by its Bundle fullUrl
        self._identity = PatientIdentity.of(pid, url, fhir_base) if pid or url else None
        if self.patient is not None and self._model(self.patient) is None:
            # Its id still says whose record this is; its content (gender) is not used.
            self.patient = None

    # --- building ---------------------------------------------------------------------------
    def _add(self, raw: object, position: int, container: Entry | None, url: str | None) -> None:
        """`raw`, item `position` of the record (or of `container`'s contained)."""
        name = raw.get("resourceType") if isinstance(raw, dict) else None
        if not isinstance(name, str):
            if isinstance(raw, Unreadable):
                self.warnings.append(raw.warning)
            else:
                where = _where(position, container)
                self.warnings.append(
                    f"{where}: not a resource object with a resourceType; not used"
                )
            return
        rtype = _KNOWN_TYPES.get(name)
        known = rtype is not None
        if rtype is None:
            rtype = quoted(name, 64)
            known = _known_type(rtype)
        rid = raw.get("id")
        if isinstance(rid, str) and rid:
            # quoted(rid, 64) without the call for the usual id (at most 64 printable
            # characters, no space: quoted returns such a text as it is)
            plain = len(rid) <= 64 and rid.isprintable() and " " not in rid
            local = rid if plain else quoted(rid, 64)
        else:
            local = f"(no id, {_where(position, container)})"
        ref = f"{container.ref}#{local}" if container else f"{rtype}/{local}"
        if not known:
            self.warnings.append(
                f"{_cut(ref)}: '{_cut(rtype)}' is not a FHIR R4 resource type; not used"
            )
            return
        first = self._by_ref.get(ref)
        if first is not None:
            if first.raw != raw:
                self.warnings.append(f"{ref}: appears twice with different content; first used")
            return
        entry = Entry(raw, rtype, ref, container)
        self._entries.append(entry)
        self._by_ref[ref] = entry
        if url:
            self._by_url.setdefault(url, entry)
        of_type = self._by_type.get(rtype)
        if of_type is None:
            self._by_type[rtype] = [entry]
        else:
            of_type.append(entry)
        if container is not None:
            container.contained[local] = entry
        if "contained" in raw:
            if not isinstance(raw["contained"], list):
                self.warnings.append(f"{ref}: contained is not an array; its content not used")
            for j, child in enumerate(_contained(raw)):
                self._add(child, j, entry, None)

    def _single_patient(self) -> Entry | None:
        patients = self._by_type.get("Patient", [])
        if len({p.ref for p in patients}) > 1:
            names = ", ".join(p.ref for p in patients[:5])
            raise FhirInputError(f"record holds several Patients ({names}); expected one")
        return patients[0] if patients else None

    def _url_of(self, entry: Entry | None) -> str | None:
        if entry is None:
            return None
        return next((url for url, e in self._by_url.items() if e is entry), None)

    # --- queries ----------------------------------------------------------------------------
    def of_type(self, *rtypes: str) -> list[Entry]:
        """The entries of these types that are about the record's Patient (and, in eager mode,
        valid)."""
        if len(rtypes) == 1:  # most asks: one type, its list filtered already
            found = self._usable_lists[self._eager].get(rtypes[0])
            if found is not None:
                return list(found)
        out: list[Entry] = []
        for rtype in rtypes:
            out.extend(self._usable_of(rtype))
        return out

    def codings_of(self, rtype: str) -> frozenset[tuple[str, str]]:
        """Every (system, code) pair of the codes of `of_type(rtype)`'s entries, gathered once
        per mode: a mapper that reads only entries whose code is in some table can see at once
        that none is (`table.isdisjoint(...)`) and skip its scan. The same first-ask effects as
        `of_type` (the list, and its warnings, are built here when no one asked for them yet)."""
        codings = self._codings[self._eager]
        found = codings.get(rtype)
        if found is None:
            gathered: set[tuple[str, str]] = set()
            for entry in self._usable_of(rtype):
                gathered.update(entry.code.codings)
            found = codings[rtype] = frozenset(gathered)
        return found

    def _usable_of(self, rtype: str) -> list[Entry]:
        # ~14 asks per record, most for the same few types: each list is filtered once per
        # mode (the filter's answers, and the warnings it gives, are each entry's first ones)
        lists = self._usable_lists[self._eager]
        found = lists.get(rtype)
        if found is None:
            found = lists[rtype] = [e for e in self._by_type.get(rtype, ()) if self._usable(e)]
        return found

    def _usable(self, entry: Entry) -> bool:
        """About the patient, and valid when eager (each failure is warned about once)."""
        owned = entry._owned  # answered already (None: not yet)
        if owned is None:
            owned = self._about_patient(entry)
        if not owned:
            return False
        return not self._eager or self._model(entry) is not None

    def model(self, entry: Entry) -> Any:
        """The validated R4B model of `entry` (validated once, then cached). For an invalid one:
        RecordNeedsValidation (lazy mode; the index turns eager) or FhirInputError (eager mode,
        for an entry not had from `of_type` / `resolve`)."""
        model = entry._model  # validated already (`_UNSET`: not yet)
        if model is _UNSET:
            model = self._model(entry)
        if model is not None:
            return model
        if not self._eager:
            self._eager = True
            raise RecordNeedsValidation(entry.ref)
        raise FhirInputError(f"{entry.ref}: not valid FHIR R4")

    def resolve(self, reference: object, context: Entry | None = None) -> Entry | None:
        """The usable entry a Reference.reference string points to, if it is in the record."""
        if not isinstance(reference, str) or not reference:
            return None
        if reference.startswith("#"):
            holder = context.container or context if context else None
            target = holder.contained.get(quoted(reference[1:], 64)) if holder else None
            if target is None and context is not None:
                self.warnings.append(
                    f"{context.ref}: reference '{_cut(reference)}' names no contained resource; "
                    "not used"
                )
        else:
            target = self._by_url.get(reference) or self._by_ref.get(_type_id(reference) or "")
        return target if target is not None and self._usable(target) else None

    def validate_where(self, relevant: Callable[[dict[str, Any]], bool]) -> None:
        """Validate now every entry about the patient that `relevant` selects, so an invalid one
        is named in the warnings even if no mapper asks for it (the others stay lazy)."""
        for entry in self._entries:
            if relevant(entry.raw) and self._about_patient(entry):
                self._model(entry)

    def patient_id(self) -> str | None:
        return (self._identity.patient_id or None) if self._identity else None

    # --- checks -----------------------------------------------------------------------------
    def _about_patient(self, entry: Entry) -> bool:
        owned = entry._owned
        if owned is not None:
            return owned
        container = entry.container
        inherited = self._about_patient(container) if container is not None else None
        problem = ownership_problem(entry.raw, self._identity, inherited)
        owned = entry._owned = problem is None
        if problem is not None:
            self.warnings.append(f"{entry.ref}: {problem}; not used")
        return owned

    def _model(self, entry: Entry) -> BaseModel | None:
        if entry._model is not _UNSET:
            return entry._model
        problem: str | None = None
        model: BaseModel | None = None
        raw = entry.raw
        if "contained" in raw:  # validated without its contained resources (their own turn)
            raw = dict(raw)
            del raw["contained"]
        # else the caller's dict itself: neither the date check nor model_validate changes its
        # input (model_validate copies it to drop resourceType; tests/test_mappers_index_*)
        model_class = _MODEL_CLASSES.get(entry.rtype) or get_fhir_model_class(entry.rtype)
        # accepted in one pass: then no date is given as a non-string (`one_pass_model`)
        model = one_pass_model(model_class, raw)
        if model is None:
            bad_date = non_string_date(model_class, raw)
            if bad_date is not None:
                problem = f"{bad_date}: a date or time must be a JSON string"
            else:
                try:
                    model = shipped_model(model_class, raw)
                except ValidationError as exc:
                    problem = _describe(exc)
                except (TypeError, ValueError, KeyError) as exc:  # fhir_core's, on odd input
                    problem = f"invalid resource ({_cut(str(exc))})"
        if problem is not None:
            self.warnings.append(f"{entry.ref}: not valid FHIR R4 ({problem}); not used")
        elif entry.rtype == "Observation" and str(raw.get("status")) not in _OBSERVATION_STATUSES:
            # the R4B model types status as a code and does not check the required binding
            status = quoted(str(raw.get("status")), 40)
            self.warnings.append(
                f"{entry.ref}: status '{status}' is not a FHIR R4 Observation status"
            )
        entry._model = model
        return model


# FHIR R4 ObservationStatus (required binding, hl7.org/fhir/R4/valueset-observation-status.html)
_OBSERVATION_STATUSES = frozenset(
    {
        "registered",
        "preliminary",
        "final",
        "amended",
        "corrected",
        "cancelled",
        "entered-in-error",
        "unknown",
    }
)


def _known_type(rtype: str) -> bool:
    try:
        model_class = get_fhir_model_class(rtype)
    except (ValueError, KeyError, AttributeError, ImportError):
        return False
    if rtype == quoted(rtype, 64):
        _KNOWN_TYPES[rtype] = rtype
        _MODEL_CLASSES[rtype] = model_class
    return True


# resourceType -> itself, for the R4 type names seen so far (`quoted` leaves a type name as it
# is, and `_known_type` accepts it): a record's resources skip both. Only names of R4 model
# classes get in, so it holds at most the ~150 of them whatever the records hold.
_KNOWN_TYPES: dict[str, str] = {}
_MODEL_CLASSES: dict[str, Any] = {}  # the same names -> get_fhir_model_class(name)


def _type_id(reference: str) -> str | None:
    if reference.count("/") == 1 and reference[0] != "/" and reference[-1] != "/":
        return reference  # the usual "Type/id": its two parts, as the cuts below give them
    parts = [p for p in reference.split("/_history/")[0].split("/") if p]
    return f"{parts[-2]}/{parts[-1]}" if len(parts) >= 2 else None


def _where(position: int, container: Entry | None) -> str:
    """Where item `position` is, for a warning (formatted only when one is given)."""
    return f"{container.ref} contained[{position}]" if container else f"resource [{position}]"


def _contained(raw: dict[str, Any]) -> list[object]:
    contained = raw.get("contained")
    return contained if isinstance(contained, list) else []


def _cut(text: str) -> str:
    return quoted(text)


def _describe(exc: ValidationError) -> str:
    errors = exc.errors()
    first = errors[0]
    path = ""
    for part in first.get("loc", ()):
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    msg = _cut(plain_message(first))
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{_cut(path) or 'resource'}: {msg}{more}"
