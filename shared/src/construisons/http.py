"""HTTP conventions shared by the services: French error bodies, body size limit, text types."""

import logging
import re
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import AfterValidator
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from construisons.db import DRIVER_CONNECTION_ERRORS
from construisons.rules import RuleViolation

log = logging.getLogger(__name__)

_MESSAGES = {
    "missing": "Ce champ est obligatoire.",
    "string_type": "Ce champ doit être un texte.",
    "string_too_short": "Ce texte doit contenir au moins {min_length} caractère(s).",
    "string_too_long": "Ce texte doit contenir au plus {max_length} caractères.",
    "string_pattern_mismatch": "Le format de ce texte n'est pas valide.",
    "int_type": "Ce champ doit être un nombre entier.",
    "int_parsing": "Ce champ doit être un nombre entier.",
    "int_from_float": "Ce champ doit être un nombre entier.",
    "float_type": "Ce champ doit être un nombre.",
    "float_parsing": "Ce champ doit être un nombre.",
    "bool_type": "Ce champ doit valoir vrai ou faux.",
    "bool_parsing": "Ce champ doit valoir vrai ou faux.",
    "list_type": "Ce champ doit être une liste.",
    "set_type": "Ce champ doit être une liste.",
    "dict_type": "Ce champ doit être un objet JSON.",
    "model_type": "Ce champ doit être un objet JSON.",
    "model_attributes_type": "Ce champ doit être un objet JSON.",
    "extra_forbidden": "Ce champ n'est pas reconnu.",
    "literal_error": "Valeur non autorisée ; valeurs possibles : {expected}.",
    "enum": "Valeur non autorisée ; valeurs possibles : {expected}.",
    "uuid_type": "Identifiant invalide (UUID attendu).",
    "uuid_parsing": "Identifiant invalide (UUID attendu).",
    "date_type": "Date invalide (format AAAA-MM-JJ attendu).",
    "date_parsing": "Date invalide (format AAAA-MM-JJ attendu).",
    "date_from_datetime_parsing": "Date invalide (format AAAA-MM-JJ attendu).",
    "date_from_datetime_inexact": "Date invalide (format AAAA-MM-JJ attendu).",
    "datetime_type": "Date et heure invalides (format ISO 8601 attendu).",
    "datetime_parsing": "Date et heure invalides (format ISO 8601 attendu).",
    "datetime_from_date_parsing": "Date et heure invalides (format ISO 8601 attendu).",
    "timezone_aware": "La date doit préciser son fuseau horaire.",
    "greater_than": "La valeur doit être strictement supérieure à {gt}.",
    "greater_than_equal": "La valeur doit être supérieure ou égale à {ge}.",
    "less_than": "La valeur doit être strictement inférieure à {lt}.",
    "less_than_equal": "La valeur doit être inférieure ou égale à {le}.",
    "too_short": "Ce champ doit contenir au moins {min_length} élément(s).",
    "too_long": "Ce champ doit contenir au plus {max_length} élément(s).",
    "json_invalid": "Le corps de la requête n'est pas un JSON valide.",
    "json_type": "Le corps de la requête n'est pas un JSON valide.",
    "url_parsing": "Adresse web invalide.",
    "url_type": "Adresse web invalide.",
    "url_scheme": "Adresse web invalide (http ou https attendu).",
    "value_error": "{error}",
    "assertion_error": "{error}",
    "email_parsing": "Adresse électronique invalide.",
}
_DEFAULT_MESSAGE = "Valeur invalide."
_PHRASES = {
    400: "Requête invalide.",
    401: "Authentification requise.",
    403: "Accès refusé.",
    404: "Ressource introuvable.",
    405: "Méthode non autorisée pour cette adresse.",
    406: "Format de réponse non disponible.",
    409: "Conflit avec l'état actuel de la ressource.",
    412: "La ressource a changé depuis votre dernière lecture.",
    413: "Le corps de la requête est trop volumineux.",
    415: "Type de contenu non pris en charge : JSON attendu.",
    422: "Données invalides.",
    428: "En-tête If-Match requis.",
    429: "Trop de requêtes.",
    503: "Service indisponible.",
}


def french_message(error: dict[str, Any]) -> str:
    """The French sentence for one pydantic validation error."""
    template = _MESSAGES.get(error["type"], _DEFAULT_MESSAGE)
    context = dict(error.get("ctx") or {})
    if "error" in context:
        context["error"] = str(context["error"]).removeprefix("Value error, ")
    try:
        return template.format(**context)
    except (KeyError, IndexError):
        return _DEFAULT_MESSAGE


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "corps"


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(e["type"] in ("json_invalid", "json_type") for e in errors):
        return JSONResponse(
            {"detail": _MESSAGES["json_invalid"]}, status_code=status.HTTP_400_BAD_REQUEST
        )
    by_field: dict[str, dict[str, Any]] = {}
    for error in errors:
        name = _field(tuple(error["loc"]))
        by_field.setdefault(
            name,
            {
                "field": name,
                "loc": list(error["loc"]),
                "msg": french_message(error),
                "type": error["type"],
            },
        )
    return JSONResponse(
        {"detail": list(by_field.values())}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT
    )


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail
    if not isinstance(detail, (dict, list)) and (
        detail is None or detail == _english(exc.status_code)
    ):
        detail = _PHRASES.get(exc.status_code, "Erreur.")
    return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)


def _english(code: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return ""


async def _rule_violation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RuleViolation)
    return JSONResponse({"detail": exc.message}, status_code=exc.status)


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    # Out of connections, server restarting: the caller may retry, nothing was written.
    if isinstance(exc, sa_exc.DBAPIError) and not (
        exc.connection_invalidated
        or isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError))
    ):
        return await _unexpected(request, exc)
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(
        {
            "detail": "Service momentanément indisponible ; merci de réessayer dans quelques instants."
        },
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": "5"},
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return JSONResponse(
        {"detail": "Une erreur inattendue est survenue ; l'équipe technique est prévenue."},
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RuleViolation, _rule_violation)
    app.add_exception_handler(sa_exc.DBAPIError, _database_unavailable)
    app.add_exception_handler(sa_exc.TimeoutError, _database_unavailable)
    for error in DRIVER_CONNECTION_ERRORS:
        app.add_exception_handler(error, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)


class BodySizeLimit:
    """Answers 413 to any request body over `max_bytes`, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _error(self) -> HTTPException:
        return HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"{_PHRASES[413]} Taille maximale : {self.max_bytes} octets.",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            error = self._error()
            response = JSONResponse({"detail": error.detail}, status_code=error.status_code)
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            # Raised inside the route's body read, FastAPI turns it into the 413 response.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise self._error()
            return message

        await self.app(scope, limited_receive, send)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("Ce texte contient des caractères de contrôle non autorisés.")
    return value


def _single_line(value: str) -> str:
    if "\n" in value or "\r" in value or "\t" in value:
        raise ValueError("Ce texte doit tenir sur une seule ligne.")
    return _no_control_characters(value)


Text = Annotated[str, AfterValidator(_no_control_characters)]
"""Free text: any character but control characters (new lines and tabs allowed)."""
Line = Annotated[str, AfterValidator(_single_line)]
"""A one-line text such as a title."""
