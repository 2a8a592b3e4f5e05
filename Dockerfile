# One image for every service and the console; docker-compose.yml picks one by its command.
# The console's chart and API-docs files come from npm in a first stage (no CDN at run time).
FROM node:22-slim AS vendor
WORKDIR /web
COPY console/web/package.json console/web/package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY contracts contracts
COPY shared shared
COPY services services
COPY gongzhi gongzhi
COPY console console
COPY --from=vendor /web/node_modules console/web/node_modules
RUN pip install --no-cache-dir . && python -m console.vendor && rm -rf console/web/node_modules
ENV GONGZHI_ENV=production
EXPOSE 8000
