"""HTTP routes of utilities-gateway: thin; the use cases live one package up.

- `/api/v1/…` — the city's integrations staff (JWT role `integrations-admin`): companies, keys, audit.
- `/integrations/v1/…` — the companies themselves (their API key): requests, outages, meter
  readings, webhook endpoints, the pull inbox.
- `/public/outages` — no authentication: for the citizens' apps and maps; `/public/photos` — the
  photos companies attached to their progress reports (proof of work).
"""

from utilities_gateway.entrypoints.http import admin, endpoints, inbox, meters, outages, photos, requests

ROUTERS = [admin.router, requests.router, photos.router, outages.router, outages.public, photos.public, meters.router,
           endpoints.router, inbox.router]
