"""Routes of the evaluation service, one router per resource file; bootstrap mounts ROUTERS."""

from fastapi import APIRouter

ROUTERS: list[APIRouter] = []
