"""Admin API: the eMSP's CDR reconciliation records (services/cdrs.py), behind the admin token like api/admin.py."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from ocpi_engine.api.envelope import ocpi_response
from ocpi_engine.services.cdrs import list_discrepancies

__all__ = ["cdr_discrepancies"]


@get("/cdrs/discrepancies")
async def cdr_discrepancies(request: Request[Any, Any, Any], status: str = "discrepancy,unpriced", after: int = 0,
                            limit: int = 100) -> Response[bytes]:
    """Reconciliation records of received CDRs, oldest first: `status` a comma list of ok, discrepancy, unpriced
    (or `all`); `after` the last `seq` seen (keyset paging); `limit` at most 1000."""
    records = await list_discrepancies(request.app.state.store, status=status, after=after, limit=limit)
    return ocpi_response(records)
