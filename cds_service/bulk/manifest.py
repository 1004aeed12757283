"""The completed export's manifest (Bulk Data Access v2, "Response - Complete Status")."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class OutputFile(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    type: str = Field(max_length=64)
    url: str = Field(max_length=4096)
    count: int | None = None


class Manifest(BaseModel):
    """https://hl7.org/fhir/uv/bulkdata/export.html#response---complete-status"""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)
    transaction_time: str = Field(alias="transactionTime", max_length=64)
    request: str = Field(max_length=8192)
    requires_access_token: bool = Field(alias="requiresAccessToken")
    output: list[OutputFile] = Field(default_factory=list)
    error: list[OutputFile] = Field(default_factory=list)
