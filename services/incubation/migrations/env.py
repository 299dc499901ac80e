from alembic import context

from construisons.db import run_migrations
from incubation.config import Settings
from incubation.tables import metadata

run_migrations(context.config, metadata, Settings().database_url)
