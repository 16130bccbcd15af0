"""Logging in: staff with username + password, residents with card number + PIN."""

from __future__ import annotations

from litestar import Controller, Request, post

from ..circulation import FieldError, Invalid
from ..circulation.permissions import Action
from ..schemas.base import TokenOut, TokenRequest
from ..services.access import auth
from ..services.access.throttle import client_address
from .common import ActorDep, JSONBody, Now, SettingsDep, code, errors
from .security import requires

__all__ = ["AuthController", "presented_token"]


def presented_token(request: Request) -> str:
    """The bearer token the request came with (already checked by the `actor` dependency)."""
    return request.headers.get("authorization", "").partition(" ")[2].strip()


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post(
        "/token",
        status_code=200,
        summary="Log in and get a bearer token",
        responses=errors(400, 401, 422, 429, 503),
        security=[{}],
    )
    async def token(
        self, request: Request, data: JSONBody[TokenRequest], now: Now, settings: SettingsDep
    ) -> TokenOut:
        """Wrong credentials: 401. Too many failures for the account or from the client
        address, or too many requests from it: 429 with Retry-After."""
        given = data.given()
        peer = request.client.host if request.client else None
        client = client_address(
            peer, request.headers.get("x-forwarded-for"), settings.trusted_proxies
        )
        gate = request.app.state.login_gate
        if {"username", "password"} <= given.keys() and "card_number" not in given:
            return await auth.log_in_staff(
                given["username"], given["password"], now, settings, client=client, gate=gate
            )
        if {"card_number", "pin"} <= given.keys() and "username" not in given:
            card = code(given["card_number"], "card_number")
            return await auth.log_in_resident(
                card, given["pin"], now, settings, client=client, gate=gate
            )
        raise Invalid(
            FieldError("body", "send either username and password, or card_number and pin")
        )

    @post(
        "/logout",
        guards=[requires(Action.SESSION_END)],
        status_code=204,
        summary="Log out: the token presented stops working",
        responses=errors(401),
    )
    async def logout(self, request: Request, actor: ActorDep) -> None:
        """Revokes the bearer token sent with this request (staff or resident); other tokens of
        the account keep working. Without a valid token: 401."""
        await auth.revoke(presented_token(request))
