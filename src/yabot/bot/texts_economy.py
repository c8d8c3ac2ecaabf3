"""The economy's bot texts: Spanish first, English for users whose preference is `en`."""

from __future__ import annotations

from html import escape
from typing import Any

from yabot.bot.texts import DEFAULT_LANGUAGE

ECONOMY_TEXTS: dict[str, dict[str, str]] = {
    "shop_title": {"es": "🛍️ <b>La tienda del mercado</b>\nTienes {balance} besitos. "
                         "Elige algo para ver qué hace:",
                   "en": "🛍️ <b>The market shop</b>\nYou have {balance} besitos. "
                         "Pick something to see what it does:"},
    "shop_empty": {"es": "La tienda está vacía por ahora.", "en": "The shop is empty for now."},
    "shop_item": {"es": "{emoji} <b>{name}</b> — {price} besitos\n{description}",
                  "en": "{emoji} <b>{name}</b> — {price} besitos\n{description}"},
    "shop_vip_only": {"es": "⭐ Solo para miembros VIP.", "en": "⭐ VIP members only."},
    "shop_confirm": {"es": "¿Comprar <b>{name}</b> por {price} besitos?",
                     "en": "Buy <b>{name}</b> for {price} besitos?"},
    "btn_buy": {"es": "✅ Sí, comprar", "en": "✅ Yes, buy it"},
    "btn_cancel": {"es": "❌ Cancelar", "en": "❌ Cancel"},
    "btn_back_shop": {"es": "↩️ Volver a la tienda", "en": "↩️ Back to the shop"},
    "bought": {"es": "🎉 ¡Compraste <b>{name}</b>! Te quedan {balance} besitos. "
                     "Míralo en /inventario.",
               "en": "🎉 You bought <b>{name}</b>! You have {balance} besitos left. "
                     "See it in /inventory."},
    "bought_already": {"es": "Esa compra ya estaba hecha. Tienes {balance} besitos.",
                       "en": "That purchase was already done. You have {balance} besitos."},
    "no_funds": {"es": "💸 No te alcanza: tienes {balance} besitos y cuesta {price}. "
                       "Reacciona a los mensajes o juega /trivia para ganar más.",
                 "en": "💸 Not enough: you have {balance} besitos and it costs {price}. "
                       "React to messages or play /trivia to earn more."},
    "vip_item": {"es": "⭐ Ese objeto es solo para miembros VIP. Mira /vip.",
                 "en": "⭐ That item is for VIP members only. See /vip."},
    "cancelled": {"es": "De acuerdo, no compraste nada.", "en": "All right, nothing bought."},
    "inventory_title": {"es": "🎒 <b>Tu inventario</b>", "en": "🎒 <b>Your inventory</b>"},
    "inventory_empty": {"es": "🎒 Tu inventario está vacío. Echa un vistazo a la /tienda.",
                        "en": "🎒 Your inventory is empty. Have a look at the /shop."},
    "inventory_line": {"es": "• {name} × {quantity}", "en": "• {name} × {quantity}"},
    "btn_use": {"es": "✨ Usar {name}", "en": "✨ Use {name}"},
    "used_hint": {"es": "✨ Usaste <b>{name}</b>. Pista revelada:\n<i>{text}</i>",
                  "en": "✨ You used <b>{name}</b>. Hint revealed:\n<i>{text}</i>"},
    "used_fragment": {"es": "✨ Usaste <b>{name}</b>: «{title}» ya está abierto para ti. "
                            "Sigue con /historia.",
                      "en": "✨ You used <b>{name}</b>: “{title}” is now open to you. "
                            "Continue with /story."},
    "used": {"es": "✨ Usaste <b>{name}</b>.", "en": "✨ You used <b>{name}</b>."},
    "use_none": {"es": "Ya no te queda {name}.", "en": "You have no {name} left."},
    "achievements_title": {"es": "🏆 <b>Tus logros</b>", "en": "🏆 <b>Your achievements</b>"},
    "achievement_line_on": {"es": "✅ {name} — {description}",
                            "en": "✅ {name} — {description}"},
    "achievement_line_off": {"es": "🔒 {name} — {description}",
                             "en": "🔒 {name} — {description}"},
    "achievements_none": {"es": "Todavía no hay logros en esta historia.",
                          "en": "There are no achievements in this story yet."},
    "missions_title": {"es": "🎯 <b>Misiones de hoy</b>", "en": "🎯 <b>Today's missions</b>"},
    "missions_none": {"es": "Hoy no hay misiones. ¡Vuelve mañana!",
                      "en": "No missions today. Come back tomorrow!"},
    "mission_line": {"es": "{mark} {name}: {progress}/{target} (+{reward} besitos)",
                     "en": "{mark} {name}: {progress}/{target} (+{reward} besitos)"},
    "trivia_question": {"es": "❓ {question}", "en": "❓ {question}"},
    "trivia_done": {"es": "🧠 ¡Ya respondiste todas las preguntas! Vuelve cuando haya nuevas.",
                    "en": "🧠 You answered every question! Come back when there are new ones."},
    "trivia_right": {"es": "✅ ¡Correcto! +{reward} besitos.",
                     "en": "✅ Right! +{reward} besitos."},
    "trivia_wrong": {"es": "❌ No era esa. La respuesta correcta: <b>{answer}</b>.",
                     "en": "❌ Not that one. The right answer: <b>{answer}</b>."},
    "trivia_again": {"es": "Ya respondiste esta pregunta; cuenta tu primera respuesta. "
                           "Prueba otra con /trivia.",
                     "en": "You already answered this one; your first answer counts. "
                           "Try another with /trivia."},
    "gift": {"es": "🎁 ¡Tu regalo de hoy: <b>{amount}</b> besitos! Racha: {streak} "
                   "día(s). Ahora tienes {balance}.",
             "en": "🎁 Today's gift: <b>{amount}</b> besitos! Streak: {streak} day(s). "
                   "You now have {balance}."},
    "gift_recovered": {"es": "Te perdonamos el día que faltaste (una vez al mes). 😉",
                       "en": "We forgave the day you missed (once a month). 😉"},
    "gift_claimed": {"es": "🎁 Ya abriste el regalo de hoy. ¡Vuelve mañana para seguir "
                           "la racha!",
                     "en": "🎁 You already opened today's gift. Come back tomorrow to keep "
                           "the streak!"},
    "ranking_title": {"es": "🏅 <b>Ranking de la semana</b>",
                      "en": "🏅 <b>This week's ranking</b>"},
    "ranking_line": {"es": "{rank}. {name} — {earned} besitos",
                     "en": "{rank}. {name} — {earned} besitos"},
    "ranking_empty": {"es": "Nadie ha ganado besitos esta semana todavía.",
                      "en": "Nobody has earned besitos this week yet."},
    "ranking_you": {"es": "Tu puesto: {rank} ({earned} besitos).",
                    "en": "Your place: {rank} ({earned} besitos)."},
    "ranking_you_none": {"es": "Aún no apareces esta semana.",
                         "en": "You are not on it this week yet."},
    "level": {"es": "📈 Nivel {level}", "en": "📈 Level {level}"},
    "level_next": {"es": " (faltan {to_next} besitos para el siguiente)",
                   "en": " ({to_next} besitos to the next one)"},
    "notice_mission": {"es": "🎯 ¡Misión cumplida: {name}! +{reward} besitos.",
                       "en": "🎯 Mission complete: {name}! +{reward} besitos."},
    "notice_achievement": {"es": "🏆 ¡Logro desbloqueado: {name}!",
                           "en": "🏆 Achievement unlocked: {name}!"},
    "notice_reward": {"es": " +{reward} besitos.", "en": " +{reward} besitos."},
    "gone": {"es": "Eso ya no está disponible.", "en": "That is no longer available."},
}


def te(key: str, lang: str = DEFAULT_LANGUAGE, /, **values: Any) -> str:
    """The text for `key` in `lang` (Spanish when missing); values are HTML-escaped."""
    entry = ECONOMY_TEXTS[key]
    template = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    return template.format(**{k: escape(str(v)) for k, v in values.items()})
