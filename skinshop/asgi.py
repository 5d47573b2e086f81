"""ASGI entry point. Runs the production profile by default."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skinshop.settings")

application = get_asgi_application()
