"""One exception family for the SMART app; each becomes a page that says what happened and
what the user can do, with the HTTP status that fits (rendered once by the blueprint)."""

from __future__ import annotations


class SmartError(Exception):
    status = 500
    title = "The app could not continue"
    hint = "Close the app and open it again from the EHR."

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
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


class FhirForbidden(SmartError):
    status = 403
    title = "The FHIR server refused access"
    hint = "Your authorization does not cover this patient's data. Launch the app again."


class BadInput(SmartError):
    status = 400
    title = "The request could not be used"
    hint = "Go back to the patient page and try again."


class RecordUnusable(SmartError):
    status = 502
    title = "The patient's record could not be used"
    hint = "The EHR sent data the app cannot read; tell the EHR support team what is named above."
