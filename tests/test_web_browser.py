"""The web in a real browser (Debian's chromium driven by Playwright) against real processes:
citizen-requests and notifications on the test's Kafka and PostgreSQL, the local OpenID Connect
provider, the web. A citizen signs in, files a request without JavaScript (first wrongly: the
service's refusals come back next to the inputs, in Ukrainian) and with it ("my location"), and
sees both in "my requests"; an operator, in another browser context, changes one's status with a
public note; the citizen's page shows the new status. Every page is screenshotted at 390×844 and
1366×768 into .state/test-artifacts/web/, and axe-core, injected into each, finds no serious or
critical violation."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from ecity_cli.infra import repo_root

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = repo_root() / ".cache" / "axe-core" / "axe.min.js"
ARTIFACTS = repo_root() / ".state" / "test-artifacts" / "web"
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1366, "height": 768}
SUMY = {"latitude": 50.9077, "longitude": 34.7981}



@pytest.fixture(autouse=True)
def browser_and_axe_there():
    """Failed, not skipped, without them: `make setup` installs both, and a browser test that
    quietly does not run would pass `make test` with nothing checked."""
    assert Path(CHROMIUM).exists() and AXE.exists(), "needs chromium and axe-core: `make setup` installs both"


class Looks:
    """Screenshots and the accessibility check of every page the test visits."""

    def __init__(self, inspector) -> None:
        # A page without JavaScript cannot run axe: its HTML is checked in this JS-enabled page
        # instead, served under the same URL (so its styles load as they did).
        self.inspector = inspector
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.violations: dict[str, list[str]] = {}
        self.seen: list[str] = []

    def __call__(self, page, name: str, *, scripts: bool = True) -> None:
        page.wait_for_load_state("load")
        checked = page
        if not scripts:
            html, url = page.content(), page.url
            checked = self.inspector
            checked.route(url, lambda route: route.fulfill(body=html, content_type="text/html; charset=utf-8"))
            checked.goto(url)
            checked.unroute(url)
        # The pages' policy allows no inline script: the test's contexts bypass it to inject axe.
        checked.add_script_tag(content=AXE.read_text())
        found = checked.evaluate("""async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).join(', '));
        }""")
        if found:
            self.violations[name] = found
        size = page.viewport_size
        for label, viewport in (("390x844", PHONE), ("1366x768", DESKTOP)):
            page.set_viewport_size(viewport)
            page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)
        page.set_viewport_size(size)
        self.seen.append(name)


def sign_in(page, web: str, who: str, looks: Looks | None = None, **how) -> None:
    page.goto(f"{web}/sign-in?next=/")
    if looks:
        looks(page, "sign-in-provider", **how)
    page.get_by_role("button", name=re.compile(who)).click()
    page.wait_for_url(f"{web}/")


@pytest.fixture
def system(services, processes):
    citizens = processes(services.process("citizen-requests"))
    notifications = processes(services.process("notifications"))
    sign_in_ = processes(services.sign_in())
    for p in (citizens, notifications, sign_in_):
        p.wait_ready()
    web = processes(services.web(sign_in_, citizens, notifications))
    web.wait_ready()
    return web.url


def test_a_citizen_files_with_and_without_javascript_and_sees_the_operators_status_change(system):
    from playwright.sync_api import sync_playwright

    web = system
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            looks = Looks(browser.new_context(viewport=PHONE, bypass_csp=True).new_page())
            # The citizen, on a phone, without JavaScript: filing is a plain form.
            plain = browser.new_context(viewport=PHONE, java_script_enabled=False, locale="uk-UA")
            nojs = {"scripts": False}
            page = plain.new_page()
            page.goto(f"{web}/")
            looks(page, "home-anonymous", **nojs)
            sign_in(page, web, "Громадянка", looks, **nojs)
            looks(page, "home", **nojs)
            page.get_by_role("link", name=re.compile("Вибоїна")).click()
            looks(page, "file-form", **nojs)
            page.get_by_label("Опис", exact=True).fill("Глибока яма біля зупинки")
            page.get_by_role("button", name="Надіслати звернення").click()
            # Refused by citizen-requests: no place given. Its words stand next to the address.
            assert page.locator("#address-error").is_visible()
            assert page.locator("#address").get_attribute("aria-invalid") == "true"
            # In Ukrainian: citizen-requests' own words (Accept-Language: uk), not a fallback of the web's.
            assert page.locator("#address-error").inner_text() == "зазначте місце (lat/long) або адресу"
            looks(page, "file-form-errors", **nojs)
            page.get_by_label("Адреса", exact=True).fill("вул. Соборна, 1")
            page.get_by_label(re.compile("Розмір")).select_option("medium")
            posted = {name: page.locator(f"[name={name}]").first.input_value()
                      for name in ("csrf", "idempotency_key", "description", "address", "attr-size")} | {"publish": "on"}
            page.get_by_role("button", name="Надіслати звернення").click()
            page.wait_for_url(re.compile(r"/my/[^/?]+\?filed=1$"))
            plain_id = page.url.split("/my/")[1].split("?")[0]
            assert page.locator("#status").inner_text() == "Подано"
            looks(page, "my-request", **nojs)
            # The same form posted again (a reload, a double click) files nothing new.
            again = page.request.post(f"{web}/file/pothole", form=posted, max_redirects=0)
            assert again.status == 303 and again.headers["location"] == f"/my/{plain_id}?filed=1"

            # The same citizen with JavaScript: the map and "my location" fill the coordinates.
            rich = browser.new_context(viewport=PHONE, locale="uk-UA", bypass_csp=True, geolocation=SUMY, permissions=["geolocation"])
            page = rich.new_page()
            sign_in(page, web, "Громадянка")
            page.goto(f"{web}/file/street_light")
            page.get_by_role("button", name="Моє місцезнаходження").click()
            page.wait_for_function("document.getElementById('lat').value !== ''")
            assert float(page.locator("#lat").input_value()) == pytest.approx(SUMY["latitude"], abs=1e-5)
            looks(page, "file-form-js")
            page.get_by_label("Опис", exact=True).fill("Не світить ліхтар")
            page.get_by_role("button", name="Надіслати звернення").click()
            page.wait_for_url(re.compile(r"/my/[^/?]+\?filed=1$"))
            rich_id = page.url.split("/my/")[1].split("?")[0]
            page.goto(f"{web}/my")
            assert page.locator(f"a[href='/my/{plain_id}']").count() == 1
            assert page.locator(f"a[href='/my/{rich_id}']").count() == 1
            looks(page, "my-requests")

            # An operator, at a desk, in another browser context.
            desk = browser.new_context(viewport=DESKTOP, locale="uk-UA", bypass_csp=True)
            staff = desk.new_page()
            sign_in(staff, web, "Оператор")
            staff.goto(f"{web}/staff")
            looks(staff, "staff-requests")
            staff.locator(f"a[href='/staff/{plain_id}']").click()
            looks(staff, "staff-request")
            staff.get_by_label("Новий стан").select_option("accepted")
            staff.get_by_label("Примітка", exact=True).fill("Передано дорожній службі")
            staff.get_by_role("button", name="Змінити стан").click()
            staff.wait_for_url(f"{web}/staff/{plain_id}")
            assert staff.locator("#status").inner_text() == "Прийнято"

            # The citizen sees it, on the page without JavaScript.
            page = plain.new_page()
            page.goto(f"{web}/my/{plain_id}")
            assert page.locator("#status").inner_text() == "Прийнято"
            assert "Передано дорожній службі" in page.locator(".history").inner_text()
            looks(page, "my-request-accepted", **nojs)
            page.goto(f"{web}/requests/{plain_id}")
            looks(page, "public-request", **nojs)
            page.goto(f"{web}/at?address=" + "вул. Соборна, 1")
            looks(page, "known-at", **nojs)
        finally:
            browser.close()
    assert not looks.violations, looks.violations
    assert len(list(ARTIFACTS.glob("*.png"))) >= 2 * len(looks.seen)


