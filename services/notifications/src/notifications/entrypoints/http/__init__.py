"""notifications' routes: a citizen's places and what is known at a place (`places.py`); contacts,
subscriptions and "everything you hold about me" come with their own modules."""

from fastapi import APIRouter

from notifications.entrypoints.http import places

router = APIRouter()
router.include_router(places.router)
