"""The manual gateway: nothing is sent; each action becomes a task for staff."""

from __future__ import annotations

from typing import ClassVar

from .base import CarrierGateway, CarrierRequest, action_text

__all__ = ["ManualGateway"]


class ManualGateway(CarrierGateway):
    name: ClassVar[str] = "manual"
    makes_tasks: ClassVar[bool] = True

    async def perform(self, action: CarrierRequest) -> str:
        """The task staff are asked to carry out (no I/O)."""
        return action_text(
            action["action"], action["phone_number"], action["iccid"], action["carrier"]
        )
