"""The JSON API under /api/v1 (django-ninja, OpenAPI at /api/v1/openapi.json).

Integrations send `Authorization: Bearer <token>`; the browser uses its session, with CSRF.
Each app contributes a router; out-of-scope objects are 404 here exactly as in the pages.
"""

from __future__ import annotations

from ninja import NinjaAPI

from jiceng.accounts.api import router as accounts_router
from jiceng.accounts.api_auth import api_auth
from jiceng.areas.api import router as areas_router
from jiceng.cases.api import router as cases_router
from jiceng.notify.api import router as notify_router
from jiceng.party.api import router as party_router
from jiceng.people.api import router as people_router
from jiceng.units.api import router as units_router

api = NinjaAPI(
    title="jiceng API",
    version="1",
    description="Party building leads grassroots governance: organization network, people, audit.",
    auth=api_auth,
    urls_namespace="api",
)
api.add_router("/areas", areas_router)
api.add_router("/party", party_router)
api.add_router("/units", units_router)
api.add_router("/people", people_router)
api.add_router("/accounts", accounts_router)
api.add_router("/cases", cases_router)
api.add_router("/whistles", "jiceng.cases.whistle_api.router")
api.add_router("/notify", notify_router)
