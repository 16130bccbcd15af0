"""Logging in: staff with username + password, residents with card number + PIN."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, post
from litestar.params import Body

from ..circulation import FieldError, Invalid
from ..services import auth
from .common import code, errors
from .schemas import TokenOut, TokenRequest

__all__ = ["AuthController"]


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post(
        "/token",
        status_code=200,
        summary="Log in and get a bearer token",
        responses=errors(400, 401, 422, 429),
    )
    async def token(
        self, data: Annotated_TokenRequest, now: datetime, settings: Any
    ) -> TokenOut:
        given = data.given()
        if "username" in given and "password" in given and "card_number" not in given:
            return await auth.log_in_staff(given["username"], given["password"], now, settings)
        if "card_number" in given and "pin" in given and "username" not in given:
            card = code(given["card_number"], "card_number")
            return await auth.log_in_resident(card, given["pin"], now, settings)
        raise Invalid(
            [
                FieldError(
                    "body", "send either username and password, or card_number and pin"
                )
            ]
        )


Annotated_TokenRequest = TokenRequest
_ = Body
