"""Page modules (one per route); app/app.py adds them to the app."""
