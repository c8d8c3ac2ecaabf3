"""The payments texts (VIP offer, receipts, channel, terms, support): Spanish, then English."""

from __future__ import annotations

from html import escape
from typing import Any

from yabot.bot.texts import DEFAULT_LANGUAGE

PAYMENT_TEXTS: dict[str, dict[str, str]] = {
    "vip_offer": {
        "es": "⭐ <b>VIP mensual</b>: todos los capítulos secretos{channel} por <b>{price} "
              "estrellas</b> cada 30 días. Se renueva solo; puedes cancelarlo cuando "
              "quieras desde Telegram.\nTu plan ahora: <b>{plan}</b> ({status}).",
        "en": "⭐ <b>Monthly VIP</b>: every secret chapter{channel} for <b>{price} "
              "Stars</b> every 30 days. It renews by itself; cancel any time in Telegram.\n"
              "Your plan now: <b>{plan}</b> ({status}).",
    },
    "vip_offer_channel": {"es": " y el canal privado", "en": " and the private channel"},
    "btn_pay": {"es": "Pagar ⭐ {price}", "en": "Pay ⭐ {price}"},
    "btn_join": {"es": "Entrar al canal VIP", "en": "Join the VIP channel"},
    "invoice_title": {"es": "VIP mensual", "en": "Monthly VIP"},
    "invoice_description": {
        "es": "Acceso VIP durante 30 días: capítulos secretos y canal privado.",
        "en": "VIP access for 30 days: secret chapters and the private channel."},
    "vip_until": {"es": "⭐ Eres VIP hasta el {end}.", "en": "⭐ You are VIP until {end}."},
    "vip_open": {"es": "⭐ Eres VIP.", "en": "⭐ You are VIP."},
    "precheckout_unknown_offer": {
        "es": "Esta factura no es válida. Escribe /vip para obtener una nueva.",
        "en": "This invoice is not valid. Send /vip for a new one."},
    "precheckout_price_mismatch": {
        "es": "El precio ha cambiado. Escribe /vip para obtener una factura nueva.",
        "en": "The price has changed. Send /vip for a new invoice."},
    "precheckout_stale_offer": {
        "es": "Esta factura ha caducado. Escribe /vip para obtener una nueva.",
        "en": "This invoice has expired. Send /vip for a new one."},
    "payment_thanks": {
        "es": "💫 ¡Gracias! Tu pago de {amount} estrellas está registrado. Eres VIP hasta "
              "el {end}.",
        "en": "💫 Thank you! Your payment of {amount} Stars is recorded. You are VIP until "
              "{end}."},
    "payment_renewed": {
        "es": "💫 Tu VIP se ha renovado ({amount} estrellas). Ahora hasta el {end}.",
        "en": "💫 Your VIP has renewed ({amount} Stars). Now until {end}."},
    "channel_invite": {
        "es": "Este es tu enlace personal al canal VIP (una sola persona, caduca en 24 h):",
        "en": "Here is your personal link to the VIP channel (one person, expires in 24 h):"},
    "join_declined": {
        "es": "El canal es solo para VIP. Escribe /vip para hacerte VIP con estrellas y "
              "vuelve a pedir la entrada.",
        "en": "The channel is for VIP members only. Send /vip to become VIP with Stars "
              "and ask to join again."},
    "removed_expired": {
        "es": "Tu plan VIP ha terminado, así que ya no tienes acceso al canal VIP. "
              "Escribe /vip para volver.",
        "en": "Your VIP plan has ended, so you no longer have access to the VIP channel. "
              "Send /vip to come back."},
    "removed_cancelled": {
        "es": "Tu plan VIP se ha cancelado, así que ya no tienes acceso al canal VIP.",
        "en": "Your VIP plan was cancelled, so you no longer have access to the VIP channel."},
    "removed_refunded": {
        "es": "Te hemos devuelto el pago y tu plan VIP ha terminado, así que ya no tienes "
              "acceso al canal VIP.",
        "en": "Your payment was refunded and your VIP plan has ended, so you no longer "
              "have access to the VIP channel."},
    "removed_reconcile": {
        "es": "No tienes un plan VIP activo, así que ya no tienes acceso al canal VIP. "
              "Escribe /vip para hacerte VIP.",
        "en": "You have no active VIP plan, so you no longer have access to the VIP "
              "channel. Send /vip to become VIP."},
    "vip_expiring": {
        "es": "⏳ Tu plan VIP termina el {end}. Si tu suscripción sigue activa en Telegram "
              "se renovará sola; si no, escribe /vip.",
        "en": "⏳ Your VIP plan ends on {end}. If your subscription is still active in "
              "Telegram it renews by itself; otherwise send /vip."},
    "vip_expired": {
        "es": "Tu plan VIP ha terminado. Escribe /vip para renovarlo.",
        "en": "Your VIP plan has ended. Send /vip to renew it."},
    "terms": {
        "es": "<b>Términos de venta</b>\n• VIP cuesta {price} estrellas de Telegram cada 30 "
              "días y se renueva solo hasta que lo canceles en Telegram.\n• Da acceso a "
              "los capítulos VIP y, si existe, al canal privado mientras el plan esté "
              "activo.\n• Es un bien digital: si algo falla, escribe /paysupport y lo "
              "revisamos; las devoluciones se hacen en estrellas.\n• Telegram no atiende "
              "reclamaciones sobre estas compras: contáctanos con /paysupport.",
        "en": "<b>Terms of sale</b>\n• VIP costs {price} Telegram Stars every 30 days and "
              "renews until you cancel it in Telegram.\n• It opens the VIP chapters and, "
              "if there is one, the private channel while the plan is active.\n• It is a "
              "digital good: if something goes wrong, send /paysupport and we will look "
              "into it; refunds are made in Stars.\n• Telegram support cannot help with "
              "these purchases: contact us with /paysupport."},
    "paysupport_ask": {
        "es": "Cuéntanos en un mensaje qué ha pasado con tu pago (fecha, importe). Lo "
              "leerá una persona del equipo.",
        "en": "Tell us in one message what happened with your payment (date, amount). "
              "A person from the team will read it."},
    "paysupport_done": {
        "es": "Gracias, hemos recibido tu consulta (n.º {number}). Te responderemos "
              "por aquí.",
        "en": "Thank you, we have your request (no. {number}). We will answer here."},
    "paysupport_text_only": {"es": "Escríbelo en un mensaje de texto, por favor.",
                             "en": "Please write it as a text message."},
}


def pt(key: str, lang: str = DEFAULT_LANGUAGE, /, **values: Any) -> str:
    """The payments text for `key` in `lang` (Spanish when missing); values HTML-escaped."""
    entry = PAYMENT_TEXTS[key]
    template = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    return template.format(**{k: escape(str(v)) for k, v in values.items()})
