from fastapi import APIRouter, Response

from backend.api.deps import ClientAddress, ContextDep, CurrentUser, CurrentUserId
from backend.api.errors import error_responses
from backend.api.schemas import AuthOut, LoginIn, MeOut, RegisterIn, user_out
from backend.services import auth

router = APIRouter(tags=["auth"])


@router.post(
    "/auth/register",
    status_code=201,
    responses=error_responses((409, "`email_taken`: an account has this email already."), 429),
)
def register(body: RegisterIn, ctx: ContextDep, client: ClientAddress) -> AuthOut:
    token, user = auth.register(ctx, body.email, body.password, body.name, client=client)
    return AuthOut(token=token, user=user_out(user))


@router.post(
    "/auth/login",
    responses=error_responses((401, "`invalid_credentials`: wrong email or password."), 429),
)
def login(body: LoginIn, ctx: ContextDep, client: ClientAddress) -> AuthOut:
    token, user = auth.login(ctx, body.email, body.password, client=client)
    return AuthOut(token=token, user=user_out(user))


@router.post("/auth/logout", status_code=204, responses=error_responses(401))
def logout(ctx: ContextDep, user_id: CurrentUserId) -> Response:
    """End every session of the account: all its tokens, on every device, stop working."""
    auth.revoke_tokens(ctx, user_id)
    return Response(status_code=204)


@router.get("/me", responses=error_responses(401))
def me(user: CurrentUser) -> MeOut:
    return MeOut(id=user.id or 0, email=user.email, name=user.name, is_admin=user.is_admin)
