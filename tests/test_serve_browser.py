"""`settle serve` in a real browser (SPEC §13): the test starts the command as the launcher does,
Debian's headless Chromium (driven by selenium through /usr/bin/chromedriver) opens the address
it prints, clicks 结算 on the sample month, follows the progress to the result table and takes a
screenshot — under the test's tmp dir, and with UPDATE_SCREENSHOT=1 as docs/serve.png for the README.

Skipped only when Chromium or its driver cannot be found (Debian: apt-get install chromium
chromium-driver; .ci/run installs them when missing)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SAMPLES

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = pytest.mark.skipif(not (os.access(CHROMIUM, os.X_OK) and os.access(DRIVER, os.X_OK)),
                                reason="Chromium and chromedriver not found (apt-get install chromium chromium-driver)")


@pytest.fixture
def server(tmp_path):
    """`settle serve --no-browser` on a copy of samples/, in its own process; its address."""
    ws = tmp_path / "ws"
    shutil.copytree(SAMPLES, ws, ignore=shutil.ignore_patterns("output", ".settle*"))
    proc = subprocess.Popen([sys.executable, "-m", "settle", "serve", "--no-browser", "--workspace", str(ws)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8",
                            env={**os.environ, "COLUMNS": "200"})
    try:
        first = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/\?token=[\w-]+", first)
        assert url, first
        yield url.group(0), ws
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'chromium'}", "--window-size=1280,900", "--lang=zh-CN"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_the_sample_month_settles_from_the_page(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait
    url, ws = server
    browser.get(url + "&month=2024-05")
    assert browser.find_element(By.CSS_SELECTOR, "h1").text == "市场部月度结算"
    browser.find_element(By.ID, "do-run").click()
    WebDriverWait(browser, 180).until(ready.presence_of_element_located((By.ID, "report-title")))
    assert browser.find_element(By.ID, "report-title").text.startswith("结算：")
    table = browser.find_element(By.CSS_SELECTOR, "#report table.grid").text
    assert "S002 张伟 主管 66,051.21 4,655.37" in table and "合计 102,376.95" in table
    assert (ws / "output/2024-05/部门汇总.xlsx").is_file()
    # the problem table filters in the browser: errors only
    from selenium.webdriver.support.ui import Select
    Select(browser.find_element(By.CSS_SELECTOR, '#filters select[data-filter="severity"]')).select_by_value("error")
    shown = [r for r in browser.find_elements(By.CSS_SELECTOR, "#problems tbody tr") if r.is_displayed()]
    assert len(shown) == 2 and all("R25" in r.text for r in shown)
    Select(browser.find_element(By.CSS_SELECTOR, '#filters select[data-filter="severity"]')).select_by_value("")
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(height + 160, 4000))
    browser.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
    shot = tmp_path / "serve.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    if os.environ.get("UPDATE_SCREENSHOT"):     # UPDATE_SCREENSHOT=1 make test: the README's picture
        (ROOT / "docs").mkdir(exist_ok=True)
        shutil.copyfile(shot, ROOT / "docs" / "serve.png")
