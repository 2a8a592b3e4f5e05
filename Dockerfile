# One image for every service; docker-compose.yml picks the service by its command.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared shared
COPY services services
COPY gongzhi gongzhi
RUN pip install --no-cache-dir .
ENV GONGZHI_ENV=production
EXPOSE 8000
