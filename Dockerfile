# syntax=docker/dockerfile:1
# techmarket for production: expects TECHMARKET_DATABASE_URL (an external PostgreSQL);
# runs the migrations, then the server.

FROM python:3.12-slim AS build
WORKDIR /src
RUN python -m venv /opt/techmarket
COPY pyproject.toml README.md alembic.ini ./
COPY src ./src
COPY migrations ./migrations
RUN /opt/techmarket/bin/pip install --no-cache-dir .

FROM python:3.12-slim
RUN useradd --system --create-home --uid 10001 techmarket
COPY --from=build /opt/techmarket /opt/techmarket
ENV PATH="/opt/techmarket/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    TECHMARKET_HOST=0.0.0.0 \
    TECHMARKET_PORT=8000 \
    TECHMARKET_DATA_DIR=/home/techmarket/data
USER techmarket
WORKDIR /home/techmarket
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
# Fail fast without a database URL: the container never runs the embedded server.
CMD ["sh", "-c", ": \"${TECHMARKET_DATABASE_URL:?set TECHMARKET_DATABASE_URL}\" && techmarket db upgrade && exec techmarket serve --no-migrate"]
