# One image for every Seatplan process: web (gunicorn), Celery worker and Celery beat.
# docker-compose.yml picks the command; the environment picks the settings (config/settings/).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

WORKDIR /app

# Requirements first, so editing the code does not reinstall them. psycopg[binary] ships libpq,
# so the image needs no compiler or system libraries.
COPY requirements.txt ./
RUN pip install -r requirements.txt

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin seatplan
COPY . .
# The code stays root-owned (read-only to the app); only collected static files are written.
RUN mkdir -p /app/staticfiles && chown seatplan:seatplan /app/staticfiles

USER seatplan
EXPOSE 8000

# gunicorn's request limits are set above Django's (config/request_limits.py), so a request over
# a limit gets the API's JSON error shape from Django, not gunicorn's HTML page.
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-", \
     "--limit-request-line", "8190", "--limit-request-field_size", "16380"]
