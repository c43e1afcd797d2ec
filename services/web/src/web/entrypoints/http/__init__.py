from web.entrypoints.http.auth import router as auth_router
from web.entrypoints.http.citizens import router as citizens_router
from web.entrypoints.http.edge import FormRefused, Sessions, SignInNeeded
from web.entrypoints.http.staff import router as staff_router

routers = [auth_router, citizens_router, staff_router]

__all__ = ["routers", "Sessions", "SignInNeeded", "FormRefused"]
