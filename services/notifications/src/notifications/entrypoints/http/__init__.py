"""notifications' routes, besides the health and metrics routes every service has: contacts and
consent (contacts.py)."""

from fastapi import APIRouter

from notifications.entrypoints.http import contacts

router = APIRouter()
router.include_router(contacts.router)
