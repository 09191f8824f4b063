"""One adapter per technology for each port of backend/ports.py; the root picks them."""
