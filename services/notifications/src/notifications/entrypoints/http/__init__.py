"""notifications' routes: Web Push's key and a citizen's devices (`push.py`). Contacts (with
their confirmation link), subscriptions and "everything you hold about me" come next (issue 17)."""

from fastapi import APIRouter

from notifications.entrypoints.http import push

router = APIRouter()
router.include_router(push.router)
