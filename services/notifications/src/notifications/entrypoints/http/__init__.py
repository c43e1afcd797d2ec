"""notifications' routes: Web Push's key and a citizen's devices (`push.py`), a citizen's places,
alerts and what is known at a place (`places.py`)."""

from fastapi import APIRouter

from notifications.entrypoints.http import places, push

router = APIRouter()
router.include_router(push.router)
router.include_router(places.router)
