"""Django settings, derived from the one Settings object (kustos.config).

This is the only module that turns Settings into Django configuration; library
packages (vault, mail, search, sources) never see Django settings.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from kustos.config import dev_secret_key, ensure_home, load_settings
from kustos.web import https_settings

KUSTOS = load_settings()
ensure_home(KUSTOS)

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = dev_secret_key(KUSTOS)
DEBUG = KUSTOS.debug
ALLOWED_HOSTS = list(KUSTOS.allowed_hosts) + ["*"] if not KUSTOS.production else list(KUSTOS.allowed_hosts)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "ninja",  # serves Swagger UI from local static files (no CDN, no inline script: CSP-clean)
    "kustos.accounts",
    "kustos.tenants",
    "kustos.audit",
    "kustos.jobs",
    "kustos.archive",
    "kustos.backup",
    "kustos.compliance",
    "kustos.lifecycle",
    "kustos.billing",
    "kustos.notify",
    "kustos.sso",
    "kustos.web",
    "kustos.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kustos.web.middleware.TwoFactorMiddleware",
    "kustos.web.middleware.SecurityHeadersMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kustos.urls"
WSGI_APPLICATION = "kustos.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kustos.web.context.navigation",
            ],
        },
    },
]


def _database(url: str) -> dict:
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(KUSTOS.db_path),
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;",
            },
        }
    parsed = urlparse(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parsed.path.lstrip("/") or "kustos",
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "CONN_MAX_AGE": 60,
    }


DATABASES = {"default": _database(KUSTOS.database_url)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ("email", "name")}},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "kustos.sso.services.ldap_auth.LdapBackend",  # e-mail domains of an LDAP provider: LDAP bind
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The address is the client's behind a trusted proxy (X-Forwarded-For), never a spoofable header.
AXES_CLIENT_IP_CALLABLE = "kustos.web.client_address.client_ip"
# A correct password alone is not a complete sign-in when a code follows: the pair's failures
# are cleared by accounts.services.signin_throttle.signed_in once the sign-in is complete.
AXES_RESET_ON_SUCCESS = False
# Wrong codes are counted per (account, address) by signin_throttle, never on the device.
OTP_TOTP_THROTTLE_FACTOR = 0
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "kustos/auth/locked.html"

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
SESSION_COOKIE_SECURE = KUSTOS.production
CSRF_COOKIE_SECURE = KUSTOS.production
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "SAMEORIGIN"
if KUSTOS.production:
    # HTTPS only from the first answer on (SecurityHeadersMiddleware also sends it behind a TLS proxy).
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
if KUSTOS.proxy_ssl_header:
    # Trust the proxy's scheme header only when the operator says a proxy sets it.
    SECURE_PROXY_SSL_HEADER = (KUSTOS.proxy_ssl_header, "https")
# Built-in TLS (KUSTOS_TLS_CERT) or a trusted TLS proxy (KUSTOS_TRUST_PROXY): Secure cookies, HSTS, redirect.
globals().update(https_settings.django_settings(KUSTOS))

LANGUAGE_CODE = KUSTOS.language
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Berlin"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = KUSTOS.home / "static"
WHITENOISE_USE_FINDERS = True

EMAIL_BACKEND = KUSTOS.email_backend
EMAIL_FILE_PATH = str(KUSTOS.home / "outbox")  # the default outbox backend (0700 directory, 0600 files)
DEFAULT_FROM_EMAIL = KUSTOS.email_from

if KUSTOS.redis_url:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "kustos",
        "url": KUSTOS.redis_url,
        "immediate": False,
        "consumer": {"workers": KUSTOS.workers, "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "kustos",
        "filename": str(KUSTOS.huey_path),
        "immediate": False,
        "consumer": {"workers": KUSTOS.workers, "worker_type": "thread"},
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"kustos": {"level": "INFO"}},
}
