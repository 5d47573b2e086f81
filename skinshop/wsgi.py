"""WSGI entry point (gunicorn skinshop.wsgi). Runs the production profile by default."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skinshop.settings")

application = get_wsgi_application()
