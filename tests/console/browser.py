"""Real Chromium for the console's tests and benchmark: Debian's ``chromium`` driven through
Debian's ``chromium-driver`` (the same version), headless; ``make test`` installs both."""

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

OPERATOR_SCREEN = (1366, 768)
PHONE_SCREEN = (390, 844)


def installed() -> bool:
    return bool(shutil.which("chromium") and shutil.which("chromedriver"))


@contextmanager
def chromium(*, language: str = "ru", size: tuple[int, int] = OPERATOR_SCREEN) -> Iterator["Page"]:
    """A fresh browser profile: its own storage, so each one signs in on its own."""
    options = Options()
    options.binary_location = shutil.which("chromium")
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in CI
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--autoplay-policy=no-user-gesture-required",
        "--enable-precise-memory-info",
        "--js-flags=--expose-gc",
        f"--window-size={size[0]},{size[1]}",
        f"--lang={language}",
    ):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=shutil.which("chromedriver")))
    try:
        yield Page(driver)
    finally:
        driver.quit()


class Page:
    """What a person does and sees on a console page."""

    def __init__(self, driver: webdriver.Chrome) -> None:
        self.driver = driver

    def open(self, url: str) -> None:
        self.driver.get(url)

    def find(self, css: str, timeout: float = 5) -> WebElement:
        return WebDriverWait(self.driver, timeout).until(
            expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css)), f"nothing visible at {css}"
        )

    def gone(self, css: str, timeout: float = 5) -> None:
        WebDriverWait(self.driver, timeout).until(
            expected_conditions.invisibility_of_element_located((By.CSS_SELECTOR, css)), f"{css} still shown"
        )

    def text_of(self, css: str, contains: str, timeout: float = 5) -> WebElement:
        """The element at ``css`` once its text contains ``contains``."""
        WebDriverWait(self.driver, timeout).until(
            expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, css), contains),
            f"{css} never said {contains!r}",
        )
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def click(self, css: str, timeout: float = 5) -> None:
        WebDriverWait(self.driver, timeout).until(
            expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, css)), f"{css} not clickable"
        ).click()

    def type(self, css: str, text: str) -> None:
        field = self.find(css)
        field.clear()
        field.send_keys(text)

    def sign_in(self, url: str, name: str, password: str) -> None:
        self.open(url)
        self.type("input[name=name]", name)
        self.type("input[name=password]", password)
        self.click("form.signin button[type=submit]")

    def script(self, source: str, *args):
        return self.driver.execute_script(source, *args)

    def screenshot(self, path) -> None:
        self.driver.save_screenshot(str(path))
