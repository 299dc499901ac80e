from construisons.settings import ServiceSettings


class Settings(ServiceSettings):
    """Incubation settings (environment variables)."""

    service_name: str = "incubation"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/construisons_incubation"
