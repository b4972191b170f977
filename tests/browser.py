"""Headless Chromium under chromedriver (Debian's packages), driven by selenium: for the report's
browser tests and bench/report_scale.py. Every request to the network is sent to a dead proxy,
so a page that tries one fails visibly instead of reaching out."""

from __future__ import annotations

import shutil
from pathlib import Path


def missing() -> str | None:
    """Why no browser can start here, or None."""
    if shutil.which("chromium") is None or shutil.which("chromedriver") is None:
        return "Debian's chromium and chromium-driver are not installed here (apt-get install chromium chromium-driver)"
    return None


def chromium_driver(profile: Path, width: int = 1400, height: int = 1000):
    """A headless Chromium with a fresh profile, logging the network (performance) and the console."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={width},{height}",
                 "--proxy-server=http://127.0.0.1:9", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
