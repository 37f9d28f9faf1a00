"""Takes the README's pictures (docs/overview.png, docs/branches.png) in headless Chromium.

Run by hand (not collected by pytest) against a running app: ``python app.py`` in one shell,
then ``python -m tests.app.make_screenshot [base-url] [user] [lang]``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from auth.demo import DEMO_PASSWORDS
from tests.app.conftest import pytest_setup_options

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = {"overview.png": "/", "branches.png": "/branches"}


def main(base: str = "http://127.0.0.1:8050", user: str = "analyst", lang: str = "en") -> None:
    options = pytest_setup_options()
    options.add_argument("--window-size=1280,1500")
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.get(f"{base}/login?lang={lang}")
        driver.find_element(By.ID, "username").send_keys(user)
        driver.find_element(By.ID, "password").send_keys(DEMO_PASSWORDS[user])
        driver.find_element(By.ID, "login-submit").click()
        time.sleep(2)
        for name, path in PAGES.items():
            driver.get(f"{base}{path}")
            time.sleep(6)
            driver.save_screenshot(str(DOCS / name))
            print(f"wrote {DOCS / name}")
    finally:
        driver.quit()


if __name__ == "__main__":
    main(*sys.argv[1:])
