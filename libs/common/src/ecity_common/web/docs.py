"""`/docs` (Swagger UI) and `/redoc` (ReDoc) with their assets served by the service itself.

FastAPI's defaults load both from a CDN, which leaves the pages blank on a network without the
internet (where the city's IT department may well run this) and tells a third party who reads our
docs. The assets come from npm at build time (libs/common/docs-assets/fetch.sh, run by `make setup`
and by the images' docs-assets stage) into `docs_assets/` beside this module.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, PlainTextResponse
from starlette.staticfiles import StaticFiles

ASSETS = Path(__file__).parent / "docs_assets"
ASSETS_URL = "/docs/assets"
REQUIRED = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js")


def assets_present(folder: Path = ASSETS) -> bool:
    return all((folder / name).is_file() for name in REQUIRED)


def install_docs(app: FastAPI, *, openapi_url: str = "/openapi.json") -> None:
    """Swagger UI at /docs, ReDoc at /redoc; neither in the OpenAPI document itself."""
    if not assets_present():
        # A source tree where `make setup` has not run: say what to do instead of a blank page.
        async def missing() -> PlainTextResponse:
            return PlainTextResponse("The documentation pages' assets are not installed here: run `make setup` "
                                     f"(they come from npm). The API's description is at {openapi_url}.", status_code=503)

        app.add_api_route("/docs", missing, include_in_schema=False)
        app.add_api_route("/redoc", missing, include_in_schema=False)
        return

    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")
    title = app.title
    oauth2_redirect = "/docs/oauth2-redirect"

    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url, title=f"{title} — Swagger UI", oauth2_redirect_url=oauth2_redirect,
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js", swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png",
        )

    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=openapi_url, title=f"{title} — ReDoc", redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
                              redoc_favicon_url=f"{ASSETS_URL}/favicon-32x32.png", with_google_fonts=False)

    app.add_api_route("/docs", swagger_ui, include_in_schema=False)
    app.add_api_route(oauth2_redirect, swagger_ui_redirect, include_in_schema=False)
    app.add_api_route("/redoc", redoc, include_in_schema=False)
