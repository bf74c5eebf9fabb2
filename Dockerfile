# Production image: gunicorn web and Celery worker/beat share it.
FROM python:3.13-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir uv==0.13.8 \
    && uv pip install --system --require-hashes --no-deps -r requirements.lock
COPY . .
RUN DJANGO_PRODUCTION=true SECRET_KEY=build-only ALLOWED_HOSTS=build \
      python manage.py compilemessages --ignore=.venv -v 0 \
    && DJANGO_PRODUCTION=true SECRET_KEY=build-only ALLOWED_HOSTS=build \
      python manage.py collectstatic --no-input -v 0
RUN useradd --system --uid 1000 portal && mkdir -p /app/var && chown -R portal /app/var
USER portal
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi", "--config", "python:portal.gunicorn_conf", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
