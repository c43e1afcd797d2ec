"""The services' APIs as the pages call them: citizen-requests' native and public API, and
notifications'. Every call carries the person's access token (the services check it: the web
decides nothing about who may do what) and asks for Ukrainian (`Accept-Language: uk`), so that
a refusal's words can be shown to the person as they are."""

from __future__ import annotations

import httpx

UKRAINIAN_FIRST = "uk, en;q=0.5"


class Refused(Exception):
    """The service said no (4xx) or could not answer (5xx, unreachable): its problem+json as a dict."""

    def __init__(self, status: int, problem: dict, language: str = "uk") -> None:
        super().__init__(f"{status}: {problem.get('title')}")
        self.status, self.problem = status, problem
        # The answer's Content-Language: "uk", or "uk, en" when some of its words had no Ukrainian.
        self.in_ukrainian = language.replace(" ", "") == "uk"


def _problem_of(answer: httpx.Response) -> dict:
    try:
        body = answer.json()
    except ValueError:
        body = None
    return body if isinstance(body, dict) else {"title": "Сервіс не відповів як слід", "status": answer.status_code}


class Api:
    def __init__(self, http: httpx.AsyncClient, base_url: str) -> None:
        self._http, self._base = http, base_url.rstrip("/")

    async def _call(self, method: str, path: str, *, token: str | None = None, headers: dict | None = None,
                    **kwargs) -> httpx.Response:
        sent = {"Accept-Language": UKRAINIAN_FIRST, **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        try:
            answer = await self._http.request(method, f"{self._base}{path}", headers=sent, **kwargs)
        except httpx.HTTPError:
            raise Refused(503, {"title": "Сервіс тимчасово недоступний", "detail": "Спробуйте ще раз за хвилину."}) from None
        if answer.status_code >= 400:
            raise Refused(answer.status_code, _problem_of(answer), answer.headers.get("content-language", "en"))
        return answer

    async def _json(self, method: str, path: str, **kwargs):
        return (await self._call(method, path, **kwargs)).json()


class CitizenRequests(Api):
    async def categories(self) -> list[dict]:
        """The categories a citizen may file in (Open311's service list: the active ones)."""
        return await self._json("GET", "/open311/v2/services.json")

    async def definition(self, code: str) -> dict:
        """The category's questions (Open311's service definition)."""
        return await self._json("GET", f"/open311/v2/services/{code}.json")

    async def file(self, token: str, body: dict, idempotency_key: str) -> dict:
        return await self._json("POST", "/api/v1/requests", token=token, json=body,
                                headers={"Idempotency-Key": idempotency_key})

    async def requests(self, token: str, **filters) -> dict:
        """A citizen's own requests, or (an operator's token) every request with the triage filters."""
        params = {k: v for k, v in filters.items() if v not in (None, "", False)}
        return await self._json("GET", "/api/v1/requests", token=token, params=params)

    async def request(self, token: str, request_id: str) -> dict:
        return await self._json("GET", f"/api/v1/requests/{request_id}", token=token)

    async def change_status(self, token: str, request_id: str, body: dict) -> dict:
        return await self._json("POST", f"/api/v1/requests/{request_id}/status", token=token, json=body)

    async def reopen(self, token: str, request_id: str, reason: str) -> dict:
        return await self._json("POST", f"/api/v1/requests/{request_id}/reopen", token=token, json={"reason": reason})

    async def comment(self, token: str, request_id: str, text: str) -> dict:
        return await self._json("POST", f"/api/v1/requests/{request_id}/comments", token=token, json={"text": text})

    async def public_request(self, request_id: str) -> dict:
        """One request as anyone may see it (Open311's, through the publication policy)."""
        found = await self._json("GET", f"/open311/v2/requests/{request_id}.json")
        if not found:
            raise Refused(404, {"title": "Звернення не знайдено"})
        return found[0]

    async def public_map(self, status: str | None = None) -> dict:
        return await self._json("GET", "/api/v1/public/requests.geojson", params={"status": status} if status else None)


class Notifications(Api):
    async def known_at(self, *, address: str | None = None, lat: float | None = None, long: float | None = None) -> dict:
        params = {k: v for k, v in (("address", address), ("lat", lat), ("long", long)) if v not in (None, "")}
        return await self._json("GET", "/api/v1/public/at", params=params)
