from alembic import context

from construisons.db import run_migrations
from intake.config import Settings
from intake.tables import metadata

run_migrations(context.config, metadata, Settings().database_url)
