"""gunicorn settings shared by the Docker image, docker-compose and the load benchmark:

gunicorn portal.wsgi --config python:portal.gunicorn_conf --bind … --workers …
"""

import gc


def post_worker_init(worker) -> None:
    """Once the worker has imported the portal, move everything allocated so far (modules, URL
    patterns, templates, translations…) out of the garbage collector's sight, so it stops
    walking those long-lived objects again and again while requests run."""
    gc.freeze()
