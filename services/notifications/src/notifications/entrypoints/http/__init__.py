"""notifications' routes, besides the health and metrics routes every service has: contacts and
consent (`contacts.py`), Web Push's key and a citizen's devices (`push.py`), a citizen's places,
alerts and what is known at a place (`places.py`)."""

from fastapi import APIRouter

from notifications.entrypoints.http import contacts, places, push

router = APIRouter()
router.include_router(contacts.router)
router.include_router(push.router)
router.include_router(places.router)
