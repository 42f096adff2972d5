"""`/docs`: the OpenAPI contract in Swagger UI, with every asset served by Precis itself (works offline)."""

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

# Swagger UI 5 as the fastapi-offline package ships it (4.x cannot read OpenAPI 3.1).
SWAGGER_UI_DIR = Path(str(files("fastapi_offline").joinpath("static")))

router = APIRouter(include_in_schema=False)


# Swagger UI's page starts itself with an inline script: allowed here, and only here.
_CSP = "default-src 'self'; script-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    page = get_swagger_ui_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} API",
        swagger_js_url="/static/docs/swagger-ui-bundle.js",
        swagger_css_url="/static/docs/swagger-ui.css",
        swagger_favicon_url="/favicon.ico",
    )
    page.headers["Content-Security-Policy"] = _CSP
    return page
