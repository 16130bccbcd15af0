"""The page message catalogue: {language: {key: text}}. Add every key in both languages."""

from __future__ import annotations

__all__ = ["MESSAGES"]

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "skip": "Skip to main content",
        "log_in": "Log in",
        "log_out": "Log out",
        "language": "Language",
        "english": "English",
        "spanish": "Español",
        "card_number": "Card number",
        "pin": "PIN",
        "resident_login_title": "My library devices",
        "resident_login_intro": "Log in with your library card number and PIN.",
        "wrong_card_or_pin": "That card number and PIN do not match. Check them and try again.",
        "too_many_attempts": "Too many tries. Wait a few minutes, then try again.",
        "required": "This field is required.",
        "error_title": "Something went wrong",
        "back_home": "Go to the start page",
    },
    "es": {
        "skip": "Saltar al contenido principal",
        "log_in": "Iniciar sesión",
        "log_out": "Cerrar sesión",
        "language": "Idioma",
        "english": "English",
        "spanish": "Español",
        "card_number": "Número de tarjeta",
        "pin": "PIN",
        "resident_login_title": "Mis equipos de la biblioteca",
        "resident_login_intro": "Inicie sesión con su número de tarjeta de la biblioteca y su PIN.",
        "wrong_card_or_pin": "El número de tarjeta y el PIN no coinciden. Revíselos e "
        "inténtelo de nuevo.",
        "too_many_attempts": "Demasiados intentos. Espere unos minutos y vuelva a intentarlo.",
        "required": "Este campo es obligatorio.",
        "error_title": "Algo salió mal",
        "back_home": "Ir a la página de inicio",
    },
}
