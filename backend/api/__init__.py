"""The REST face of Trinity's services (FastAPI), mounted under /api by the web app."""
