from __future__ import annotations

from flask import Blueprint

bp = Blueprint("materials", __name__)
