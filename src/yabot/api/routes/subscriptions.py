"""Subscriptions: read the current plan; grant, upgrade or cancel one."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from yabot.api.deps import SubscriptionsDep, UserId, authenticated
from yabot.api.errors import ApiError
from yabot.api.openapi import error_responses
from yabot.api.schemas import SubscriptionOut, SubscriptionUpdate

router = APIRouter(prefix="/user", tags=["subscriptions"],
                   dependencies=[Depends(authenticated)], responses=error_responses(404))


@router.get("/{user_id}/subscription", response_model=SubscriptionOut,
            summary="Current plan")
async def get_subscription(user_id: UserId, subscriptions: SubscriptionsDep) -> SubscriptionOut:
    """A registered user without a paid plan is `free`/`active`."""
    return SubscriptionOut.model_validate(await subscriptions.get(user_id))


@router.put("/{user_id}/subscription", response_model=SubscriptionOut,
            summary="Grant, upgrade or cancel a plan")
async def put_subscription(user_id: UserId, body: SubscriptionUpdate,
                           subscriptions: SubscriptionsDep) -> SubscriptionOut:
    """`premium`/`vip` with an optional future `end_date`; `free` cancels."""
    await subscriptions.get(user_id)  # 404 before anything is written
    try:
        view = await subscriptions.set_plan(user_id, body.plan_type, body.end_date)
    except ValueError as exc:
        raise ApiError(422, "validation_error", str(exc),
                       [{"field": "body.end_date", "loc": ["body", "end_date"],
                         "msg": str(exc), "type": "value_error"}]) from None
    return SubscriptionOut.model_validate(view)
