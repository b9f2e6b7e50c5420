"""Swagger UI at /docs: pinned assets with Subresource Integrity, under a policy that allows only them.

The assets come from jsDelivr's copy of the npm package `swagger-ui-dist` at one exact version; the
integrity hashes were computed from the files of `npm pack swagger-ui-dist@5.32.0` (the registry
verifies the tarball against its own sha512), so a changed file on the CDN is refused by the browser.
To upgrade: change the version, `npm pack` it, and hash the two files with
`openssl dgst -sha384 -binary FILE | base64`. /docs is off in production unless DOCS_ENABLED is set.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

SWAGGER_UI_VERSION = "5.32.0"
SWAGGER_UI_ORIGIN = "https://cdn.jsdelivr.net"
SWAGGER_UI_BASE = f"{SWAGGER_UI_ORIGIN}/npm/swagger-ui-dist@{SWAGGER_UI_VERSION}"
SWAGGER_JS_URL = f"{SWAGGER_UI_BASE}/swagger-ui-bundle.js"
SWAGGER_CSS_URL = f"{SWAGGER_UI_BASE}/swagger-ui.css"
SWAGGER_FAVICON_URL = f"{SWAGGER_UI_BASE}/favicon-32x32.png"
INTEGRITY = {
    SWAGGER_JS_URL: "sha384-7xcoc6ZKDFF7Ek627QTC3Bg/K+5Y36NJ8MWAE43D2m6+3Sh9XO3tdsfHhrS8gNIQ",
    SWAGGER_CSS_URL: "sha384-3nuX7df3EaAoiqLBeyS1Ola0Gpg9ryJKVtarubwfnA1cOH8AWHUdbPSIvEqPZ9VH",
}
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def swagger_ui_page(openapi_url: str, title: str) -> HTMLResponse:
    """The page, with integrity on both assets and a Content-Security-Policy naming exactly what it runs."""
    page = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=title,
        swagger_js_url=SWAGGER_JS_URL,
        swagger_css_url=SWAGGER_CSS_URL,
        swagger_favicon_url=SWAGGER_FAVICON_URL,
    )
    html = bytes(page.body).decode()
    for url, integrity in INTEGRITY.items():
        attribute = f'"{url}"'
        # A FastAPI release that renders the page differently must fail here, not serve assets unpinned.
        if html.count(attribute) != 1:
            raise RuntimeError(f"Swagger UI page does not reference {url} exactly once")
        html = html.replace(attribute, f'{attribute} integrity="{integrity}" crossorigin="anonymous"')
    return HTMLResponse(html, headers={"Content-Security-Policy": _content_security_policy(html)})


def _content_security_policy(html: str) -> str:
    inline = [_sha256_source(script) for script in INLINE_SCRIPT.findall(html)]
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {SWAGGER_JS_URL} {' '.join(inline)}",
            # Swagger UI sets style attributes from script.
            f"style-src {SWAGGER_CSS_URL} 'unsafe-inline'",
            f"img-src {SWAGGER_UI_ORIGIN} data:",
            "connect-src 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _sha256_source(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
