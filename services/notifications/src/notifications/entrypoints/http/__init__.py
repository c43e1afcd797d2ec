"""notifications' routes: none yet besides the health and metrics routes every service has.
Contacts (with their confirmation link), subscriptions and "everything you hold about me" come
next (issue 17); the router is here so that the service keeps the same shape as the others."""

from fastapi import APIRouter

router = APIRouter()
