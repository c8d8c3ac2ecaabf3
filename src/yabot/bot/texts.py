"""The bot's message catalogue: Spanish first, English for users whose preference is `en`."""

from __future__ import annotations

from html import escape
from typing import Any

DEFAULT_LANGUAGE = "es"

CATALOGUE: dict[str, dict[str, str]] = {
    "welcome": {
        "es": "¡Hola, {name}! 💋 Bienvenida/o a <b>YABOT</b>.\n"
              "Vive una historia que cambia con tus decisiones, reacciona a los mensajes "
              "para ganar besitos y desbloquea secretos VIP.",
        "en": "Hi, {name}! 💋 Welcome to <b>YABOT</b>.\n"
              "Live a story that changes with your choices, react to messages to earn "
              "besitos and unlock VIP secrets.",
    },
    "menu": {"es": "¿Qué quieres hacer?", "en": "What would you like to do?"},
    "btn_story": {"es": "📖 Historia", "en": "📖 Story"},
    "btn_besitos": {"es": "💋 Besitos", "en": "💋 Besitos"},
    "btn_vip": {"es": "⭐ VIP", "en": "⭐ VIP"},
    "btn_help": {"es": "❓ Ayuda", "en": "❓ Help"},
    "btn_menu": {"es": "🏠 Menú", "en": "🏠 Menu"},
    "btn_back_story": {"es": "↩️ Volver a la historia", "en": "↩️ Back to the story"},
    "fragment": {"es": "<b>{title}</b>\n\n{content}", "en": "<b>{title}</b>\n\n{content}"},
    "story_end": {"es": "Fin de este camino. Usa /menu para volver.",
                  "en": "This path ends here. Use /menu to go back."},
    "choice_gone": {"es": "Esa opción ya no está disponible. Sigues aquí:",
                    "en": "That choice is no longer available. You are here:"},
    "vip_gate": {
        "es": "🔒 <b>{title}</b> es un capítulo VIP.\n"
              "Hazte VIP para descubrir el secreto y todos los capítulos premium. "
              "Escribe /vip para ver tu suscripción.",
        "en": "🔒 <b>{title}</b> is a VIP chapter.\n"
              "Become VIP to discover the secret and every premium chapter. "
              "Send /vip to see your subscription.",
    },
    "besitos": {"es": "💋 Tienes <b>{balance}</b> besitos.",
                "en": "💋 You have <b>{balance}</b> besitos."},
    "besitos_entries": {"es": "Últimos movimientos:", "en": "Latest entries:"},
    "besitos_none": {"es": "Aún no tienes movimientos. ¡Reacciona a un mensaje para ganar besitos!",
                     "en": "No entries yet. React to a message to earn besitos!"},
    "besitos_earned": {"es": "💋 ¡+{amount} besitos por tu reacción! Ahora tienes {balance}.",
                       "en": "💋 +{amount} besitos for your reaction! You now have {balance}."},
    "hint_unlocked": {"es": "🔓 Pista desbloqueada: {text}", "en": "🔓 Hint unlocked: {text}"},
    "vip_active": {"es": "⭐ Eres VIP (plan {plan}) hasta {end}.",
                   "en": "⭐ You are VIP (plan {plan}) until {end}."},
    "vip_active_open": {"es": "⭐ Eres VIP (plan {plan}).", "en": "⭐ You are VIP (plan {plan})."},
    "vip_none": {
        "es": "Tu plan: <b>{plan}</b> ({status}). Con VIP desbloqueas los capítulos secretos. "
              "Pide tu acceso VIP al equipo de YABOT.",
        "en": "Your plan: <b>{plan}</b> ({status}). VIP unlocks the secret chapters. "
              "Ask the YABOT team for VIP access.",
    },
    "help": {
        "es": "Comandos:\n/start — empezar\n/menu — menú principal\n"
              "/historia — seguir la historia\n"
              "/besitos — tu saldo\n/vip — tu suscripción\n/help — esta ayuda\n\n"
              "Reacciona a mis mensajes para ganar besitos.",
        "en": "Commands:\n/start — start\n/menu — main menu\n/historia — continue the story\n"
              "/besitos — your balance\n/vip — your subscription\n/help — this help\n\n"
              "React to my messages to earn besitos.",
    },
    "unknown_command": {"es": "No conozco el comando {command}. Prueba /help.",
                        "en": "I don't know the command {command}. Try /help."},
    "not_understood": {"es": "Usa los botones o /menu para continuar.",
                       "en": "Use the buttons or /menu to continue."},
    "slow_down": {"es": "Vas muy rápido 🙂 Espera un momento.",
                  "en": "You're going too fast 🙂 Wait a moment."},
    "apology": {"es": "Lo siento, algo ha fallado. Lo intentaré de nuevo en un momento. 🙏",
                "en": "Sorry, something went wrong. I'll try again in a moment. 🙏"},
}


def language_of(preference: str | None) -> str:
    return "en" if (preference or "").lower().startswith("en") else DEFAULT_LANGUAGE


def t(key: str, lang: str = DEFAULT_LANGUAGE, /, **values: Any) -> str:
    """The text for `key` in `lang` (Spanish when missing); values are HTML-escaped."""
    entry = CATALOGUE[key]
    template = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    return template.format(**{k: escape(str(v)) for k, v in values.items()})
