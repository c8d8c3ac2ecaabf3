"""The auctions' bot texts: Spanish first, English for users whose preference is `en`."""

from __future__ import annotations

from html import escape
from typing import Any

from yabot.bot.texts import DEFAULT_LANGUAGE

AUCTION_TEXTS: dict[str, dict[str, str]] = {
    "list_title": {"es": "🔨 <b>Subastas abiertas</b>\nElige una para pujar:",
                   "en": "🔨 <b>Open auctions</b>\nPick one to bid:"},
    "list_empty": {"es": "No hay subastas abiertas ahora mismo. ¡Vuelve pronto!",
                   "en": "There are no open auctions right now. Come back soon!"},
    "list_button": {"es": "{name} · {price} 💋", "en": "{name} · {price} 💋"},
    "detail": {"es": "🔨 <b>{name}</b>\nPuja más alta: {highest}\nCierra: {ends} (UTC)\n"
                     "Tienes {balance} besitos libres.",
               "en": "🔨 <b>{name}</b>\nHighest bid: {highest}\nCloses: {ends} (UTC)\n"
                     "You have {balance} besitos free."},
    "no_bids": {"es": "ninguna todavía (mínimo {min_bid})",
                "en": "none yet (minimum {min_bid})"},
    "yours": {"es": "{amount} (¡es tuya!)", "en": "{amount} (yours!)"},
    "btn_bid": {"es": "Pujar {amount} 💋", "en": "Bid {amount} 💋"},
    "bid_ok": {"es": "✅ ¡Vas ganando <b>{name}</b> con {amount} besitos! Quedan apartados "
                     "hasta que cierre la subasta; si alguien puja más, te los devolvemos.",
               "en": "✅ You lead <b>{name}</b> with {amount} besitos! They are held until "
                     "the auction closes; if someone bids more, you get them back."},
    "bid_again": {"es": "Esa puja ya estaba hecha.", "en": "That bid was already placed."},
    "bid_too_low": {"es": "Alguien ya pujó eso o más. La puja mínima ahora es {min_bid}.",
                    "en": "Someone already bid that or more. The minimum bid is now {min_bid}."},
    "bid_no_funds": {"es": "💸 No te alcanza para pujar {amount} besitos.",
                     "en": "💸 You do not have enough for a bid of {amount} besitos."},
    "bid_closed": {"es": "Esta subasta ya cerró.", "en": "This auction has closed."},
    "gone": {"es": "Esa subasta ya no existe.", "en": "That auction no longer exists."},
    "notice_outbid": {"es": "🔨 Te superaron en la subasta de <b>{name}</b>: la puja más alta "
                            "es {highest}. Te devolvimos tus {own} besitos. /subastas",
                      "en": "🔨 You were outbid for <b>{name}</b>: the highest bid is "
                            "{highest}. Your {own} besitos are back. /auctions"},
    "notice_won": {"es": "🏆 ¡Ganaste la subasta de <b>{name}</b> por {amount} besitos! "
                         "Ya está en tu /inventario.",
                   "en": "🏆 You won the auction for <b>{name}</b> for {amount} besitos! "
                         "It is in your /inventory."},
    "notice_lost": {"es": "🔨 La subasta de <b>{name}</b> terminó: ganó una puja de {winning}. "
                          "Tus besitos ya están libres.",
                    "en": "🔨 The auction for <b>{name}</b> is over: a bid of {winning} won. "
                          "Your besitos are free again."},
}


def ta(key: str, lang: str = DEFAULT_LANGUAGE, /, **values: Any) -> str:
    """The text for `key` in `lang` (Spanish when missing); values are HTML-escaped."""
    entry = AUCTION_TEXTS[key]
    template = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    return template.format(**{k: escape(str(v)) for k, v in values.items()})
