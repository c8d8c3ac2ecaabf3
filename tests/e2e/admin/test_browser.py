"""The admin panel in a real browser against `yabot run` (one browser for the module).

The tests run in order, as one operator's session; the failed-login limit comes last
because it blocks this client for a minute. With ADMIN_SCREENSHOT_DIR set (e.g. `docs`),
the dashboard and user page screenshots are written there."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

from selenium.common.exceptions import (
    NoAlertPresentException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.e2e.admin.conftest import HOSTILE, OPERATOR, PASSWORD, Site


def wait(driver: Any, condition: Any, timeout: float = 20) -> Any:
    """Until `condition` holds; an element admin.js replaced meanwhile is looked up again."""
    return WebDriverWait(driver, timeout,
                         ignored_exceptions=(StaleElementReferenceException,)).until(condition)


def replaced(element: Any) -> Any:
    """Like `ec.staleness_of`, but Chromium may also answer "node does not belong to the
    document" while the next page replaces this one: that means gone too."""
    def check(_driver: Any) -> bool:
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            if "does not belong to the document" in str(exc):
                return True
            raise
        return False
    return check


def submit(driver: Any, button_id: str) -> None:
    """Click a submit button and wait for the next page to replace this one."""
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.ID, button_id).click()
    wait(driver, replaced(old))


def log_in(driver: Any, site: Site, password: str = PASSWORD) -> None:
    driver.find_element(By.NAME, "username").clear()
    driver.find_element(By.NAME, "username").send_keys(OPERATOR)
    driver.find_element(By.NAME, "password").send_keys(password)
    submit(driver, "login-submit")


def user_page_of(driver: Any, site: Site, username: str) -> None:
    driver.get(site.base + "/admin/users")
    driver.find_element(By.ID, "user-search").send_keys(username)
    submit(driver, "user-search-submit")
    rows = driver.find_elements(By.CSS_SELECTOR, "#users tbody tr")
    assert len(rows) == 1, [r.text for r in rows]
    old = driver.find_element(By.TAG_NAME, "html")
    rows[0].find_element(By.TAG_NAME, "a").click()
    wait(driver, replaced(old))


def shot(driver: Any, tmp_path: Path, name: str) -> None:
    target = Path(os.environ.get("ADMIN_SCREENSHOT_DIR") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(target / name))


def test_log_in_search_and_grant_vip(browser: Any, site: Site, tmp_path: Path) -> None:
    browser.get(site.base + "/admin/")
    assert browser.current_url == site.base + "/admin/login"
    log_in(browser, site)
    assert browser.current_url == site.base + "/admin/"
    assert browser.find_element(By.ID, "stat-users").text == "3"
    assert browser.find_element(By.ID, "stat-vip").text == "1"
    user_page_of(browser, site, "lucia")
    assert browser.find_element(By.ID, "plan-type").text == "free"
    Select(browser.find_element(By.ID, "plan-select")).select_by_value("vip")
    days = browser.find_element(By.ID, "plan-days")
    days.clear()
    days.send_keys("30")
    submit(browser, "plan-submit")
    assert browser.find_element(By.ID, "plan-type").text == "vip"
    assert browser.find_element(By.ID, "plan-vip").text == "sí"
    types = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "#events td.etype")]
    assert "subscription_updated" in types
    audit = browser.find_element(By.CSS_SELECTOR, "table.audit tbody").text
    assert OPERATOR in audit and "subscription" in audit


def test_award_besitos_changes_the_balance(browser: Any, site: Site, tmp_path: Path) -> None:
    user_page_of(browser, site, "lucia")
    before = int(browser.find_element(By.ID, "balance").text)
    browser.find_element(By.ID, "besitos-amount").send_keys("15")
    browser.find_element(By.ID, "besitos-reason").send_keys("regalo del equipo")
    submit(browser, "besitos-submit")
    assert int(browser.find_element(By.ID, "balance").text) == before + 15
    assert "regalo del equipo" in browser.find_element(By.ID, "ledger").text
    shot(browser, tmp_path, "admin-user.png")


def test_hostile_first_name_shows_as_text(browser: Any, site: Site) -> None:
    user_page_of(browser, site, "hostil")
    assert browser.find_element(By.ID, "first-name").text == HOSTILE
    try:
        browser.switch_to.alert  # noqa: B018 - raises when no alert is open
        raise AssertionError("the hostile first name ran as a script")
    except NoAlertPresentException:
        pass


def test_post_without_csrf_token_is_refused(browser: Any, site: Site) -> None:
    user_page_of(browser, site, "mateo")
    assert browser.find_element(By.ID, "plan-type").text == "vip"
    browser.execute_script(
        "document.querySelector('#plan-form input[name=csrf_token]').remove();")
    Select(browser.find_element(By.ID, "plan-select")).select_by_value("free")
    submit(browser, "plan-submit")
    assert "CSRF" in browser.find_element(By.ID, "message").text
    user_page_of(browser, site, "mateo")
    assert browser.find_element(By.ID, "plan-type").text == "vip"


def test_replay_a_dead_letter(browser: Any, site: Site) -> None:
    event_id = str(uuid.uuid4())
    data = json.dumps({"event_id": event_id, "event_type": "user_activity",
                       "user_id": "1001", "timestamp": "2026-01-01T00:00:00Z",
                       "correlation_id": event_id, "causation_id": None,
                       "payload": {"activity": "test"}, "schema_version": 1})
    site.sql("INSERT INTO dead_letters (event_id, event_type, consumer_group, event_data, "
             "error, attempts) VALUES (?, 'user_activity', 'e2e-group', ?, "
             "'RuntimeError: handler failed', 5)", (event_id, data))
    (dl_id,) = site.sql("SELECT id FROM dead_letters WHERE event_id = ?", (event_id,))[0]
    browser.get(site.base + "/admin/events")
    row = browser.find_element(By.ID, f"dead-letter-{dl_id}")
    assert "RuntimeError: handler failed" in row.text
    old = browser.find_element(By.TAG_NAME, "html")
    row.find_element(By.CSS_SELECTOR, "button.replay").click()
    wait(browser, replaced(old))
    assert browser.find_elements(By.ID, f"dead-letter-{dl_id}") == []  # no longer pending
    assert site.sql("SELECT replayed_at IS NOT NULL FROM dead_letters WHERE id = ?",
                    (dl_id,)) == [(1,)]


def test_dashboard(browser: Any, site: Site, tmp_path: Path) -> None:
    browser.get(site.base + "/admin/")
    assert browser.find_element(By.ID, "stat-vip").text == "2"  # lucia and mateo
    assert len(browser.find_elements(By.CSS_SELECTOR, "#events-chart rect")) == 60
    assert "replay_dead_letter" in browser.find_element(By.CSS_SELECTOR, "table.audit").text
    shot(browser, tmp_path, "admin-dashboard.png")


def test_open_watch_and_close_an_auction(browser: Any, site: Site) -> None:
    browser.get(site.base + "/admin/auctions")
    browser.find_element(By.NAME, "item_id").send_keys("besito_001")
    browser.find_element(By.NAME, "min_bid").clear()
    browser.find_element(By.NAME, "min_bid").send_keys("7")
    submit(browser, "auction-open-submit")
    auction_id = browser.current_url.rsplit("/", 1)[1]
    assert site.sql("SELECT item_id, min_bid, status FROM auctions WHERE auction_id = ?",
                    (auction_id,)) == [("besito_001", 7, "open")]
    status = browser.find_element(By.ID, "auction-status").text
    # the page follows the auction: a change shows up without a reload (admin.js)
    site.sql("UPDATE auctions SET ends_at = '2030-01-02 03:04:05.000000' "
             "WHERE auction_id = ?", (auction_id,))
    wait(browser, lambda d: "2030-01-02 03:04:05" in d.find_element(By.ID,
                                                                      "auction-live").text)
    submit(browser, "auction-close-submit")
    assert browser.find_element(By.ID, "auction-status").text != status
    assert site.sql("SELECT status, winner_user_id FROM auctions WHERE auction_id = ?",
                    (auction_id,)) == [("closed", None)]
    browser.get(site.base + "/admin/economy")
    assert browser.find_elements(By.CSS_SELECTOR, "svg rect")  # the stacked bars
    assert browser.find_element(By.CSS_SELECTOR, "#supply-chart polyline")


def test_layout_fits_a_phone_screen(browser: Any, site: Site) -> None:
    browser.set_window_size(390, 844)
    try:
        for path in ("/admin/", "/admin/users", "/admin/users/1001", "/admin/events",
                     "/admin/economy", "/admin/auctions", "/admin/content"):
            browser.get(site.base + path)
            overflow = browser.execute_script(
                "return document.documentElement.scrollWidth - window.innerWidth;")
            assert overflow <= 1, (path, overflow)  # wide tables scroll inside their box
    finally:
        browser.set_window_size(1280, 1000)


def test_wrong_password_is_refused_and_rate_limited(browser: Any, site: Site) -> None:
    submit(browser, "logout-submit")
    assert browser.current_url == site.base + "/admin/login"
    log_in(browser, site, password="no es la contraseña")
    assert "incorrectos" in browser.find_element(By.ID, "login-error").text
    for _ in range(20):  # the API's rule: more than 20 failures within 60 s
        log_in(browser, site, password="tampoco es esta")
    assert "Demasiados intentos" in browser.find_element(By.ID, "login-error").text
    log_in(browser, site)  # blocked: even the right password waits
    assert browser.current_url == site.base + "/admin/login"
    assert "ALERT: admin panel login failed" in site.log()
    assert "tampoco es esta" not in site.log()
