"""WSGI entry point (waitress in `kustos serve`, any WSGI server in scale-out)."""

import os

from django.core.wsgi import get_wsgi_application

from kustos.core import malloc

malloc.limit_arenas()  # see kustos.core.malloc
os.umask(0o077)  # files 0600, directories 0700 (also when a WSGI server other than `kustos serve` runs us)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kustos.django_settings")
application = get_wsgi_application()
