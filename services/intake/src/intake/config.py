from construisons.settings import ServiceSettings


class Settings(ServiceSettings):
    """Intake settings (environment variables)."""

    service_name: str = "intake"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/construisons_intake"
