"""WSGI entry point for gunicorn: ``gunicorn --preload -w 2 -b 127.0.0.1:8000 wsgi:app``."""

from supervision import create_app
from supervision.search import service as search_service
from supervision.serving import check_rate_limit_storage

app = create_app()
check_rate_limit_storage(app)  # several gunicorn workers with a per-process rate-limit store: say so
search_service.preload(app)  # jieba's dictionary: loaded once here, shared by the workers (--preload)
