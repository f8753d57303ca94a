# The tracker's one image: the web server (gunicorn, the default command), the Celery worker and
# beat all run from it with different commands (see docker-compose.yml and Procfile).
# Every setting comes from the environment at run time (README, "Configuration").
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # Run the project from /app (its templates, fixtures and static files live beside the code).
    PYTHONPATH=/app \
    DJANGO_STATIC_ROOT=/app/staticfiles \
    TRACKER_VAR_DIR=/app/var \
    TRACKER_PUBLISH_DIR=/app/published/site \
    DJANGO_LOG_FORMAT=json \
    PORT=8000

WORKDIR /app

RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin tracker

# Dependencies first, so that a change to the code alone reuses this layer.
COPY pyproject.toml README.md ./
COPY config ./config
COPY tracker ./tracker
RUN pip install .

COPY manage.py ./
COPY templates ./templates
COPY fixtures ./fixtures

# Static files are collected into the image (served by WhiteNoise). The key and folder given here
# exist only for this step: nothing secret is baked into the image.
RUN DJANGO_SECRET_KEY=collectstatic-only TRACKER_VAR_DIR=/tmp/build-var \
    python manage.py collectstatic --no-input --verbosity 0 \
    && rm -rf /tmp/build-var \
    && mkdir -p /app/var /app/published \
    && chown tracker:tracker /app/var /app/published

USER tracker

EXPOSE 8000

# gunicorn binds 0.0.0.0:$PORT and starts $WEB_CONCURRENCY workers (both read from the
# environment); the app writes one log line per request itself, so gunicorn's access log is off.
CMD ["gunicorn", "config.wsgi", "--timeout", "30", "--graceful-timeout", "30"]
