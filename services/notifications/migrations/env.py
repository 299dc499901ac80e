from alembic import context

from construisons.db import run_migrations
from notifications.config import Settings
from notifications.tables import metadata

run_migrations(context.config, metadata, Settings().database_url)
