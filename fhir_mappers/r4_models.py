"""How a one-shot process (`pannet-cds score FILE`) loads the fhir.resources R4B models: each
class builds its pydantic validator when it first validates a resource, not when its module is
imported.

Why: the models are imported on demand (`get_fhir_model_class`), but importing a model module
builds a validator for every class it defines, including those for elements the record does not
have (Patient's module: PatientContact, PatientCommunication, PatientLink). Deferring the build
(pydantic `defer_build`, set through fhir_core's `set_global_model_config`) leaves the same
validator, built from the same schema, for every class that validates something; the others are
never built. What is validated, and how, does not change.

fhir_core also imports PyYAML and lxml when they are installed, for its YAML and XML
(de)serialisers, which pannet-cds never uses (FHIR JSON only). A `score` that reads no YAML site
configuration does not import them. The long-running server does not call this: it warms its
workers up once (`cds_service.server.warm_up`), so there the cost is paid before any call.
"""

from __future__ import annotations

import sys

# fhir_core's optional serialisers: imported by it only "if installed" (fhir_core.constraints)
_UNUSED_BY_US = ("yaml", "lxml")


def build_models_when_used() -> None:
    """Call before the first model module is imported (classes defined earlier keep their eager
    build: slower, otherwise the same). Idempotent."""
    if "fhir_core.fhirabstractmodel" not in sys.modules:
        # A None entry makes `import yaml` raise ImportError: fhir_core then leaves out its
        # YAML/XML methods (they raise, saying the package is missing) and nothing else.
        # Only for this one import; a later `import yaml` (a YAML site file) works as usual.
        hidden = [name for name in _UNUSED_BY_US if name not in sys.modules]
        for name in hidden:
            sys.modules[name] = None  # type: ignore[assignment]
        try:
            import fhir_core.fhirabstractmodel  # noqa: F401
        finally:
            for name in hidden:
                if sys.modules.get(name, False) is None:
                    del sys.modules[name]
    from fhir_core.fhirabstractmodel import FHIRAbstractModel

    FHIRAbstractModel.set_global_model_config(defer_build=True)
