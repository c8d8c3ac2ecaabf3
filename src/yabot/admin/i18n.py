"""Panel texts: Spanish by default, English when the browser prefers it (Accept-Language)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from yabot.admin import i18n_payments
from yabot.admin.i18n_economy import ECONOMY_EN, ECONOMY_ES

ES: dict[str, str] = {
    "title": "YABOT · Administración", "login": "Iniciar sesión", "logout": "Cerrar sesión",
    "username": "Usuario", "password": "Contraseña",
    "login_failed": "Usuario o contraseña incorrectos.",
    "login_blocked": "Demasiados intentos fallidos. Vuelve a intentarlo en {seconds} s.",
    "csrf_failed": "Formulario caducado o no válido (CSRF). Recarga la página y repite.",
    "nav_dashboard": "Panel", "nav_users": "Usuarios", "nav_events": "Eventos",
    "nav_content": "Contenido", "nav_audit": "Auditoría",
    "users_total": "Usuarios", "new_today": "Nuevos hoy", "active_vip": "VIP activos",
    "besitos_circulation": "Besitos en circulación", "events_per_minute":
    "Eventos por minuto (última hora)", "outbox_backlog": "Pendientes en el outbox",
    "dead_letters": "Cartas muertas", "health": "Estado de los componentes",
    "ok": "OK", "down": "CAÍDO", "recent_actions": "Acciones recientes",
    "who": "Quién", "what": "Qué", "target": "Sobre", "detail": "Detalle", "when": "Cuándo",
    "search": "Buscar", "search_hint": "id, id de Telegram o @usuario", "no_results":
    "Sin resultados.", "page": "Página {page} de {pages} ({total} en total)",
    "prev": "Anterior", "next": "Siguiente", "first_name": "Nombre", "registered": "Alta",
    "profile": "Perfil", "plan": "Plan", "status": "Estado", "ends": "Termina",
    "never": "nunca", "narrative": "Progreso narrativo", "current_fragment":
    "Fragmento actual", "completed": "Completados", "choices": "Decisiones",
    "wallet": "Monedero", "balance": "Saldo", "ledger": "Movimientos", "amount": "Cantidad",
    "reason": "Motivo", "recent_events": "Eventos recientes", "type": "Tipo",
    "user": "Usuario", "payload": "Datos", "grant_plan": "Conceder o cancelar plan",
    "plan_type": "Plan", "days": "Días", "apply": "Aplicar",
    "besitos": "Besitos", "award": "Dar", "deduct": "Quitar", "delete_user":
    "Eliminar usuario", "delete_confirm": "¿Eliminar al usuario {user}? Se borran su perfil, "
    "su plan, su monedero y su progreso. No se puede deshacer.", "delete_yes":
    "Sí, eliminar", "cancel": "Cancelar", "language": "Idioma",
    "done_subscription": "Plan actualizado.", "done_besitos": "Saldo actualizado.",
    "done_deleted": "Usuario eliminado.", "done_replayed": "Carta muerta reenviada.",
    "error_invalid": "Datos no válidos: revisa el formulario.",
    "error_insufficient_funds": "Saldo insuficiente.", "error_not_found": "No encontrado.",
    "error_already_replayed": "Esa carta muerta ya se había reenviado.",
    "error_unavailable": "Un almacén no responde; inténtalo de nuevo.",
    "filter": "Filtrar", "event_type": "Tipo de evento", "error": "Error",
    "attempts": "Intentos", "group": "Grupo", "replay": "Reenviar", "replayed": "reenviada",
    "pending": "pendiente", "fragments": "Fragmentos", "fragment_title": "Título",
    "fragment": "Fragmento",
    "vip": "VIP", "upload_pack": "Subir paquete de contenido (YAML o JSON)",
    "upload": "Validar y cargar", "pack_loaded": "Cargados {fragments} fragmento(s) y "
    "{items} objeto(s).", "pack_errors": "{count} problema(s); no se ha cargado nada.",
    "not_found_title": "No encontrado", "back": "Volver", "audit": "Auditoría",
    "none": "—", "yes": "sí", "no": "no", "session_expires": "La sesión caduca",
    "nav_broadcasts": "Difusiones", "broadcast_new": "Nueva difusión",
    "broadcast_text": "Mensaje", "segment": "Destinatarios", "segment_all": "Todos",
    "segment_vip": "VIP", "segment_free": "Gratis", "broadcast_send": "Enviar difusión",
    "progress": "Progreso", "sent": "Enviados", "failed": "Fallidos",
    "blocked": "Bloqueados", "total": "Total", "refresh": "Actualizar",
    "done_broadcast": "Difusión en cola.",
}

EN: dict[str, str] = {
    "title": "YABOT · Admin", "login": "Log in", "logout": "Log out",
    "username": "Username", "password": "Password",
    "login_failed": "Wrong username or password.",
    "login_blocked": "Too many failed attempts. Try again in {seconds} s.",
    "csrf_failed": "Expired or invalid form (CSRF). Reload the page and try again.",
    "nav_dashboard": "Dashboard", "nav_users": "Users", "nav_events": "Events",
    "nav_content": "Content", "nav_audit": "Audit",
    "users_total": "Users", "new_today": "New today", "active_vip": "Active VIP",
    "besitos_circulation": "Besitos in circulation", "events_per_minute":
    "Events per minute (last hour)", "outbox_backlog": "Outbox backlog",
    "dead_letters": "Dead letters", "health": "Component health",
    "ok": "OK", "down": "DOWN", "recent_actions": "Recent actions",
    "who": "Who", "what": "What", "target": "On", "detail": "Detail", "when": "When",
    "search": "Search", "search_hint": "id, Telegram id or @username", "no_results":
    "No results.", "page": "Page {page} of {pages} ({total} in all)",
    "prev": "Previous", "next": "Next", "first_name": "First name", "registered": "Joined",
    "profile": "Profile", "plan": "Plan", "status": "Status", "ends": "Ends",
    "never": "never", "narrative": "Narrative progress", "current_fragment":
    "Current fragment", "completed": "Completed", "choices": "Choices",
    "wallet": "Wallet", "balance": "Balance", "ledger": "Ledger", "amount": "Amount",
    "reason": "Reason", "recent_events": "Recent events", "type": "Type",
    "user": "User", "payload": "Payload", "grant_plan": "Grant or cancel a plan",
    "plan_type": "Plan", "days": "Days", "apply": "Apply",
    "besitos": "Besitos", "award": "Award", "deduct": "Deduct", "delete_user":
    "Delete user", "delete_confirm": "Delete user {user}? Their profile, plan, wallet and "
    "progress are removed. This cannot be undone.", "delete_yes": "Yes, delete",
    "cancel": "Cancel", "language": "Language",
    "done_subscription": "Plan updated.", "done_besitos": "Balance updated.",
    "done_deleted": "User deleted.", "done_replayed": "Dead letter replayed.",
    "error_invalid": "Invalid input: check the form.",
    "error_insufficient_funds": "Insufficient balance.", "error_not_found": "Not found.",
    "error_already_replayed": "That dead letter was already replayed.",
    "error_unavailable": "A store is not answering; try again.",
    "filter": "Filter", "event_type": "Event type", "error": "Error",
    "attempts": "Attempts", "group": "Group", "replay": "Replay", "replayed": "replayed",
    "pending": "pending", "fragments": "Fragments", "fragment_title": "Title",
    "fragment": "Fragment",
    "vip": "VIP", "upload_pack": "Upload a content pack (YAML or JSON)",
    "upload": "Validate and load", "pack_loaded": "Loaded {fragments} fragment(s) and "
    "{items} item(s).", "pack_errors": "{count} problem(s); nothing was loaded.",
    "not_found_title": "Not found", "back": "Back", "audit": "Audit",
    "none": "—", "yes": "yes", "no": "no", "session_expires": "Session expires",
    "nav_broadcasts": "Broadcasts", "broadcast_new": "New broadcast",
    "broadcast_text": "Message", "segment": "Recipients", "segment_all": "Everyone",
    "segment_vip": "VIP", "segment_free": "Free", "broadcast_send": "Send broadcast",
    "progress": "Progress", "sent": "Sent", "failed": "Failed",
    "blocked": "Blocked", "total": "Total", "refresh": "Refresh",
    "done_broadcast": "Broadcast queued.",
}

# the economy's pages add their own keys (without replacing any)
ES.update({k: v for k, v in ECONOMY_ES.items() if k not in ES})
EN.update({k: v for k, v in ECONOMY_EN.items() if k not in EN})
ES.update({k: v for k, v in i18n_payments.ES.items() if k not in ES})
EN.update({k: v for k, v in i18n_payments.EN.items() if k not in EN})
LANGUAGES = {"es": ES, "en": EN}


def pick_language(accept_language: str | None) -> str:
    """The first of es/en the browser ranks highest (q-values); Spanish otherwise."""
    best, best_q = "es", -1.0
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        q -= position * 1e-6  # ties: the earlier tag wins
        if q > best_q and q > 0:
            best, best_q = primary, q
    return best


def translator(language: str) -> Callable[..., str]:
    texts = LANGUAGES.get(language, ES)

    def t(key: str, **values: Any) -> str:
        text = texts.get(key) or ES.get(key) or key
        return text.format(**values) if values else text

    return t
