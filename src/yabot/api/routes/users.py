"""Users: dynamic state and preferences (document store), deletion from both stores."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from yabot.api.deps import UserId, UsersDep, authenticated
from yabot.api.openapi import error_responses
from yabot.api.schemas import PreferencesOut, PreferencesUpdate, StateOut

router = APIRouter(prefix="/user", tags=["users"], dependencies=[Depends(authenticated)],
                   responses=error_responses(404))


@router.get("/{user_id}/state", response_model=StateOut, summary="Dynamic state")
async def get_state(user_id: UserId, users: UsersDep) -> StateOut:
    """The user's current state (menu, narrative progress, session) and preferences."""
    return StateOut.of(await users.get_state(user_id))


@router.put("/{user_id}/preferences", response_model=PreferencesOut,
            summary="Update preferences")
async def put_preferences(user_id: UserId, body: PreferencesUpdate,
                          users: UsersDep) -> PreferencesOut:
    """Partial update: only the keys given change. Returns the whole new preferences."""
    return PreferencesOut.of(await users.update_preferences(user_id, body.changes()))


@router.delete("/{user_id}", status_code=204, response_class=Response,
               summary="Delete a user")
async def delete_user(user_id: UserId, users: UsersDep) -> Response:
    """Remove the user from both stores and publish `user_deleted`."""
    await users.delete_user(user_id, reason="api")
    return Response(status_code=204)
