"""What a kiosk's screen says (the AF field), in the patron's language: the desk's reasons for a
refusal, and where a returned device goes. English and Spanish."""

from __future__ import annotations

from ..circulation.codes import Code

__all__ = ["from_sip_language", "say", "sip_language"]

# SIP2 language codes: 001 English, 008 Spanish (000: unknown).
_SIP_LANGUAGES = {"en": "001", "es": "008"}
_FROM_SIP = {v: k for k, v in _SIP_LANGUAGES.items()}

_WORDS: dict[str, dict[str, str]] = {
    "en": {
        Code.DEVICE_NOT_FOUND: "This device is not known here. Please ask staff.",
        Code.PATRON_NOT_FOUND: "This library card is not known here. Please ask staff.",
        Code.DEVICE_UNAVAILABLE: "This device cannot be lent now. Please choose another one.",
        Code.DEVICE_RESERVED: "This device is booked for a class or event. Please choose "
        "another one.",
        Code.PATRON_BLOCKED: "Your account is blocked. Please see staff at the desk.",
        Code.PATRON_EXPIRED: "Your library card has expired. Please renew it at the desk.",
        Code.PATRON_HAS_OVERDUE: "You have an overdue device. Please return it first.",
        Code.LOAN_LIMIT_REACHED: "You already have as many of these as you may borrow.",
        Code.RENEWAL_LIMIT_REACHED: "It cannot be renewed again. Please return it by the due date.",
        Code.RENEWAL_BLOCKED_BY_HOLDS: "Others are waiting for it. Please return it by the due "
        "date.",
        Code.OVERDUE_RENEWAL_REFUSED: "It is overdue, so it cannot be renewed here. Please "
        "return it.",
        Code.LOAN_NOT_ACTIVE: "This loan has ended.",
        Code.NOT_ON_LOAN: "This device was not checked out. Please give it to staff.",
        Code.INVALID_CREDENTIALS: "The card number or PIN is wrong.",
        Code.TOO_MANY_ATTEMPTS: "Too many wrong PINs. Please try later or ask staff.",
        "pin_needed": "Please enter your PIN.",
        "other": "This could not be done here. Please ask staff for help.",
        "lent": "Checked out. Due {due}.",
        "lent_early": "Checked out. Due early, {due}: this kind of device is booked right after.",
        "renewed": "Renewed. Now due {due}.",
        "back": "Thank you! It is checked in.",
        "hold_shelf": "Checked in. Staff: put it on the hold shelf for the next patron.",
        "processing": "Checked in. Staff: set it aside to be made ready.",
        "repair": "Checked in. Staff: set it aside for repair.",
        "set_aside": "Checked in. Staff: set it aside for a booked event.",
        "restore": "Its service will be turned back on.",
        "bye": "Thank you. Goodbye!",
    },
    "es": {
        Code.DEVICE_NOT_FOUND: "Este equipo no está registrado aquí. Pida ayuda al personal.",
        Code.PATRON_NOT_FOUND: "Esta tarjeta no está registrada aquí. Pida ayuda al personal.",
        Code.DEVICE_UNAVAILABLE: "Este equipo no se puede prestar ahora. Elija otro.",
        Code.DEVICE_RESERVED: "Este equipo está reservado para una clase o un evento. Elija otro.",
        Code.PATRON_BLOCKED: "Su cuenta está bloqueada. Hable con el personal en el mostrador.",
        Code.PATRON_EXPIRED: "Su tarjeta está vencida. Renuévela en el mostrador.",
        Code.PATRON_HAS_OVERDUE: "Tiene un equipo atrasado. Devuélvalo primero.",
        Code.LOAN_LIMIT_REACHED: "Ya tiene tantos de estos como puede pedir prestados.",
        Code.RENEWAL_LIMIT_REACHED: "No se puede renovar otra vez. Devuélvalo antes de la fecha.",
        Code.RENEWAL_BLOCKED_BY_HOLDS: "Hay personas esperando este equipo. Devuélvalo antes de "
        "la fecha.",
        Code.OVERDUE_RENEWAL_REFUSED: "Está atrasado, así que no se puede renovar aquí. "
        "Devuélvalo.",
        Code.LOAN_NOT_ACTIVE: "Este préstamo ya terminó.",
        Code.NOT_ON_LOAN: "Este equipo no estaba prestado. Entrégueselo al personal.",
        Code.INVALID_CREDENTIALS: "El número de tarjeta o el PIN no es correcto.",
        Code.TOO_MANY_ATTEMPTS: "Demasiados PIN incorrectos. Inténtelo más tarde o pida ayuda.",
        "pin_needed": "Escriba su PIN.",
        "other": "No se pudo hacer aquí. Pida ayuda al personal.",
        "lent": "Prestado. Devuélvalo antes de: {due}.",
        "lent_early": "Prestado. Vence antes, {due}: este tipo de equipo está reservado justo "
        "después.",
        "renewed": "Renovado. Ahora vence: {due}.",
        "back": "¡Gracias! Ya está devuelto.",
        "hold_shelf": "Devuelto. Personal: póngalo en el estante de reservas.",
        "processing": "Devuelto. Personal: apártelo para prepararlo.",
        "repair": "Devuelto. Personal: apártelo para reparación.",
        "set_aside": "Devuelto. Personal: apártelo para un evento reservado.",
        "restore": "Su servicio se volverá a activar.",
        "bye": "Gracias. ¡Hasta pronto!",
    },
}


def say(key: str, language: str = "en", **values: str) -> str:
    words = _WORDS.get(language, _WORDS["en"])
    text = words.get(key) or _WORDS["en"].get(key) or words["other"]
    return text.format(**values) if values else text


def sip_language(language: str | None) -> str:
    """A patron's language as SIP's 3-digit code (000: unknown)."""
    return _SIP_LANGUAGES.get(language or "", "000")


def from_sip_language(code: str | None) -> str | None:
    return _FROM_SIP.get(code or "")
