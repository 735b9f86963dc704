"""A user at a browser, as far as Keycloak's login pages need one: follow redirects, read the
page's form, fill it in and submit it, until Keycloak redirects to the client's redirect URI.

The authorization code flow is driven through Keycloak's real HTML pages (its browser flow, and
a broker's redirect to an upstream realm and back), so a test proves that a person can log in,
not only that the configuration was stored. No JavaScript is run: Keycloak's login pages post
plain forms.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlparse

import requests

REDIRECT_URI = "http://127.0.0.1:1/callback"  # never fetched: the flow ends at its redirect


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)


class _Forms(HTMLParser):
    """The page's forms with their hidden and pre-filled inputs, and its links."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", "")))
        elif tag == "input" and self.forms and a.get("name"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.forms[-1].fields[a["name"]] = a.get("value", "")
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])


@dataclass(frozen=True)
class Page:
    url: str
    status: int
    text: str

    @property
    def forms(self) -> list[Form]:
        parser = _Forms()
        parser.feed(self.text)
        return parser.forms

    @property
    def links(self) -> list[str]:
        parser = _Forms()
        parser.feed(self.text)
        return parser.links


@dataclass
class Browser:
    """One user agent with its own cookies, talking to the Keycloak at `url`."""

    url: str
    session: requests.Session = field(default_factory=requests.Session)
    code: str | None = None  # the authorization code, once Keycloak redirected back

    def __post_init__(self) -> None:
        self.session.trust_env = False

    def start(self, realm: str, client_id: str, **params: str) -> Page:
        """Open the realm's authorization endpoint, as a client's login button does."""
        query = {
            "client_id": client_id,
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
            "scope": "openid",
            "state": secrets.token_hex(8),
            **params,
        }
        auth = f"{self.url.rstrip('/')}/realms/{realm}/protocol/openid-connect/auth"
        return self.get(f"{auth}?{urlencode(query)}")

    def get(self, url: str) -> Page:
        return self._follow(self.session.get(url, allow_redirects=False))

    def submit(self, page: Page, values: Mapping[str, str], index: int = 0) -> Page:
        """Post the page's form number `index` with `values` written over its own fields."""
        forms = page.forms
        if not forms:
            raise AssertionError(f"no form on {page.url} ({page.status}): {page.text[:500]}")
        form = forms[index]
        data = {**form.fields, **values}
        target = urljoin(page.url, form.action.replace("&amp;", "&"))
        return self._follow(self.session.post(target, data=data, allow_redirects=False))

    def _follow(self, resp: requests.Response) -> Page:
        self._insecure_ok()
        while resp.is_redirect:
            location = urljoin(resp.url, resp.headers["Location"])
            if location.startswith(REDIRECT_URI):
                found = parse_qs(urlparse(location).query)
                codes = found.get("code") or []
                self.code = codes[0] if codes else None
                return Page(location, resp.status_code, "")
            resp = self.session.get(location, allow_redirects=False)
            self._insecure_ok()
        return Page(resp.url, resp.status_code, resp.text)

    def _insecure_ok(self) -> None:
        """Keycloak marks its session cookies Secure even on plain http; a browser still
        sends them to localhost (a secure context), so this user agent does too."""
        for cookie in self.session.cookies:
            cookie.secure = False

    def login(self, page: Page, username: str, password: str) -> Page:
        """Fill in Keycloak's username and password form."""
        return self.submit(page, {"username": username, "password": password})

    def token(self, realm: str, client_id: str, secret: str | None = None) -> dict[str, object]:
        """Trade the authorization code for tokens, as the client's back end does."""
        assert self.code, "no authorization code: the login did not reach the redirect URI"
        data = {
            "grant_type": "authorization_code",
            "code": self.code,
            "redirect_uri": REDIRECT_URI,
            "client_id": client_id,
        }
        if secret is not None:
            data["client_secret"] = secret
        url = f"{self.url.rstrip('/')}/realms/{realm}/protocol/openid-connect/token"
        resp = self.session.post(url, data=data)
        body: dict[str, object] = resp.json()
        return body
