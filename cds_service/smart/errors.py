"""One exception family for the SMART app; each becomes a page that says what happened and
what the user can do, with the HTTP status that fits (rendered once by the blueprint)."""

from __future__ import annotations

# A value from the request (an `iss`, an OAuth error code) is never woven into the page's prose,
# where a crafted one could read as an instruction to the user; it is shown apart, as code, cut.
MAX_QUOTED = 100


def quoted_value(value: str) -> str:
    """`value` as the error page shows it: printable characters only, at most MAX_QUOTED."""
    printable = "".join(c if c.isprintable() else "?" for c in value[: MAX_QUOTED + 1])
    return printable if len(printable) <= MAX_QUOTED else printable[: MAX_QUOTED - 1] + "…"


class SmartError(Exception):
    status = 500
    title = "The app could not continue"
    hint = "Close the app and open it again from the EHR."
    # The session still works: the page offers the way back to the patient page.
    session_usable = False

    def __init__(self, message: str, *, hint: str | None = None, quoted: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.quoted = None if quoted is None else quoted_value(quoted)
        if hint is not None:
            self.hint = hint


class MissingIssuer(SmartError):
    status = 400
    title = "Not launched from an EHR"
    hint = "Open the app from the patient's chart in the EHR (or from a CDS card's link)."


class UnknownIssuer(SmartError):
    status = 403
    title = "This EHR is not connected to the app"
    hint = (
        "An administrator can allow it by adding its FHIR base URL to "
        "PANNET_CDS_SMART_ISSUERS with the app's client id."
    )


class EhrUnreachable(SmartError):
    status = 502
    title = "The EHR's FHIR server could not be reached"
    hint = "Try again in a moment; if it persists, tell the EHR support team."


class AuthorizationDenied(SmartError):
    status = 403
    title = "Access was not granted"
    hint = "The app needs your permission to read this patient's record. Launch it again to retry."


class AuthorizationFailed(SmartError):
    status = 502
    title = "Sign-in with the EHR failed"


class SessionInvalid(SmartError):
    status = 401
    title = "This app session is not valid"
    hint = (
        "Launch the app again from the EHR. If it keeps happening inside the EHR, the browser may "
        "be blocking the app's cookie in frames."
    )


class SessionExpired(SmartError):
    status = 401
    title = "Your session has expired"
    hint = "Launch the app again from the EHR to continue."


class FhirUnavailable(SmartError):
    status = 502
    title = "The FHIR server did not answer"
    hint = "Nothing was changed. Try again in a moment; if it persists, tell the EHR support team."


class NotInEhr(SmartError):
    status = 404
    title = "Not found in the EHR"
    hint = "It may have been deleted or merged since the page was shown; reload the patient page."
    session_usable = True


class FhirForbidden(SmartError):
    status = 403
    title = "The FHIR server refused access"
    hint = "Your authorization does not cover this patient's data. Launch the app again."


class BadInput(SmartError):
    status = 400
    title = "The request could not be used"
    hint = "Go back to the patient page and try again."
    session_usable = True


class RecordUnusable(SmartError):
    status = 502
    title = "The patient's record could not be used"
    hint = "The EHR sent data the app cannot read; tell the EHR support team what is named above."
