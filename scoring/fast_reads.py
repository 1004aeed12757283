"""A pydantic base whose attribute reads skip pydantic's `__getattr__` hook.

`BaseModel` defines `__getattr__` (for private attributes and `extra="allow"` fields), so CPython
gives every model class the slot `slot_tp_getattr_hook`: each `model.field` read goes through a
Python-level dispatcher before the ordinary lookup. A hook call reads model fields tens of
thousands of times (issue 13: ~0.2 M of 15.4 M instructions per call).

For a class with no private attributes and no `extra="allow"`, pydantic's `__getattr__` only
ever raises the AttributeError the ordinary lookup raises (pydantic 2.14
`BaseModel.__getattr__`: "'X' object has no attribute 'y'"), so the class can use CPython's
generic lookup (`PyObject_GenericGetAttr`) directly: same values, same errors, fewer
instructions. Anything else (another interpreter, a type layout this module does not recognise,
a class with private attributes, extra fields or its own `__getattr__`/`__getattribute__`) is
left exactly as pydantic made it. `FastReadModel` is the base of the project's own models;
`generic_reads_below` does the same for another library's model classes (fhir.resources').
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from pydantic import BaseModel

_POINTER = ctypes.sizeof(ctypes.c_void_p)
# PyTypeObject: PyObject_VAR_HEAD (3 words), tp_name, tp_basicsize, tp_itemsize, tp_dealloc,
# tp_vectorcall_offset, tp_getattr, tp_setattr, tp_as_async, tp_repr, tp_as_number,
# tp_as_sequence, tp_as_mapping, tp_hash, tp_call, tp_str, then tp_getattro (CPython 3.8+,
# Include/cpython/object.h). Checked against known types before use (_slot_offset).
_TP_GETATTRO_WORD = 18

_PYDANTIC_GETATTR = BaseModel.__dict__.get("__getattr__")


def _generic_getattr_address() -> int | None:
    if sys.implementation.name != "cpython":
        return None
    try:
        return ctypes.cast(ctypes.pythonapi.PyObject_GenericGetAttr, ctypes.c_void_p).value
    except (AttributeError, ValueError):
        return None


_GENERIC = _generic_getattr_address()


def _slot(cls: type, offset: int) -> ctypes.c_void_p:
    return ctypes.c_void_p.from_address(id(cls) + offset)


def _slot_offset() -> int | None:
    """The byte offset of `tp_getattro`, or None when the layout is not the one expected."""
    if _GENERIC is None:
        return None
    offset = _TP_GETATTRO_WORD * _POINTER

    class _Plain:
        pass

    class _Hooked:
        def __getattr__(self, name: str) -> Any:
            raise AttributeError(name)

    if _slot(object, offset).value != _GENERIC or _slot(_Plain, offset).value != _GENERIC:
        return None
    if _slot(_Hooked, offset).value in (None, _GENERIC):
        return None
    return offset


_OFFSET = _slot_offset()


def _reads_only_fields(cls: type[BaseModel]) -> bool:
    """Whether pydantic's `__getattr__` can only raise the ordinary AttributeError for `cls`."""
    return (
        _PYDANTIC_GETATTR is not None
        and getattr(cls, "__getattr__", None) is _PYDANTIC_GETATTR
        and cls.__getattribute__ is object.__getattribute__
        and not cls.__private_attributes__
        and cls.model_config.get("extra") != "allow"
    )


def has_generic_reads(cls: type) -> bool:
    """Whether attribute reads on instances of `cls` use CPython's generic lookup directly."""
    return _OFFSET is not None and _slot(cls, _OFFSET).value == _GENERIC


def use_generic_reads(cls: type[BaseModel]) -> bool:
    """Give `cls` the generic lookup if pydantic's hook can only raise for it; returns whether
    it has it now."""
    if _OFFSET is None or not _reads_only_fields(cls):
        return False
    _slot(cls, _OFFSET).value = _GENERIC
    # the type's method cache may hold lookups made under the old slot
    ctypes.pythonapi.PyType_Modified(ctypes.py_object(cls))
    return True


_BASES_DONE: set[type[BaseModel]] = set()


def _subclasses(base: type) -> set[type]:
    found: set[type] = set()
    todo = [base]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:  # a class under two bases of `base` is visited once
                found.add(sub)
                todo.append(sub)
    return found


def generic_reads_below(base: type[BaseModel]) -> None:
    """Give every subclass of another library's model base (fhir.resources' `FHIRAbstractModel`)
    the generic lookup where it allows it: those that exist now and, through the base's
    `__pydantic_init_subclass__`, those created later (idempotent)."""
    if base in _BASES_DONE or _OFFSET is None:
        return
    _BASES_DONE.add(base)
    previous = base.__dict__.get("__pydantic_init_subclass__")

    def init_subclass(cls: type[BaseModel], **kwargs: Any) -> None:
        if previous is not None:
            previous.__func__(cls, **kwargs)
        else:
            super(base, cls).__pydantic_init_subclass__(**kwargs)
        use_generic_reads(cls)

    base.__pydantic_init_subclass__ = classmethod(init_subclass)  # type: ignore[assignment]
    for sub in _subclasses(base):
        if issubclass(sub, BaseModel):
            use_generic_reads(sub)


class FastReadModel(BaseModel):
    """`BaseModel` with the generic attribute lookup on every subclass that allows it."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        use_generic_reads(cls)
