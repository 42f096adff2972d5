from fastapi import APIRouter, Request, Response, status
from sqlalchemy import text

from service.schemas import Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
def readyz(request: Request, response: Response) -> Readiness:
    models = request.app.state.models
    try:
        with request.app.state.sessions() as session:
            session.execute(text("SELECT 1"))
        store_ok = True
    except Exception:
        store_ok = False
    ready = models is not None and store_ok
    if not ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        response.headers["Retry-After"] = "5"
    return Readiness(
        status="ready" if ready else "not_ready",
        models=models is not None,
        store=store_ok,
        summariser=models.summariser.name if models else None,
        answers=models.answers.name if models else None,
    )
