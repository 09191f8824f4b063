from fastapi import APIRouter
from fastapi.responses import JSONResponse

from backend.api.deps import ContextDep
from backend.api.schemas import HealthOut
from backend.services.health import check_components

router = APIRouter(tags=["operations"])


@router.get(
    "/health",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "Some component is down: the same body."}},
)
def health(ctx: ContextDep) -> JSONResponse:
    components = check_components(ctx)
    healthy = all(state == "ok" for state in components.values())
    body = {"status": "ok" if healthy else "degraded", "components": components}
    return JSONResponse(body, status_code=200 if healthy else 503)
