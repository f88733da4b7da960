"""The application as uvicorn serves it, configured from the environment."""

from app.application import create_app
from app.settings import settings_from_env

app = create_app(settings_from_env())
