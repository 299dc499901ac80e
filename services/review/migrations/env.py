from alembic import context

from construisons.db import run_migrations
from review.config import Settings
from review.tables import metadata

run_migrations(context.config, metadata, Settings().database_url)
