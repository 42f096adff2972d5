from fastapi import APIRouter, Request, Response, status
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from service.model_gate import ModelGate
from service.schemas import Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    return Health(status="ok")


def _store_is_writable(request: Request) -> bool:
    """A write that is rolled back: a read-only file or replica, or a full lock queue, fails here, not later."""
    try:
        with request.app.state.sessions() as session:
            session.execute(text("UPDATE alembic_version SET version_num = version_num"))
            session.rollback()
        return True
    except Exception:
        return False


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
def readyz(request: Request, response: Response) -> Readiness:
    """Ready to take traffic: models loaded, store writable, and room in the model queue (a load balancer sends
    new requests elsewhere while it is full)."""
    models = request.app.state.models
    gate: ModelGate = request.app.state.gate
    store_ok = _store_is_writable(request)
    state = "not_ready" if models is None or not store_ok else "saturated" if gate.saturated else "ready"
    if state != "ready":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        response.headers["Retry-After"] = "5" if state == "not_ready" else "1"
    return Readiness(
        status=state,
        models=models is not None,
        store=store_ok,
        model_queue=gate.admitted,
        model_capacity=gate.capacity,
        summariser=models.summariser.name if models else None,
        answers=models.answers.name if models else None,
    )


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics() -> Response:
    """Requests by route and status, latencies, model time, queue depth, cache hits, refusals."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
