from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "kustos.jobs"
    label = "jobs"
    verbose_name = "Jobs"

    def ready(self) -> None:
        # Registering the huey task and periodic schedules needs the app registry, so it
        # happens here (once per process) rather than at import of the services.
        from kustos.jobs import schedules, tasks  # noqa: F401,PLC0415


