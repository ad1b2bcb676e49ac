FROM python:3.11-slim-bookworm
WORKDIR /app
COPY pyproject.toml README.md ./
COPY certlife certlife
COPY accounts accounts
COPY acme_orders acme_orders
COPY dns_providers dns_providers
COPY agents agents
COPY templates templates
COPY static static
COPY manage.py ./
RUN pip install --no-cache-dir . && useradd --system --home /app certlife && mkdir /data && chown certlife /data
USER certlife
ENV CERTLIFE_DATA_DIR=/data
EXPOSE 8000
CMD ["gunicorn", "certlife.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
