"""Panel texts of the payments pages (Spanish, English); merged into the panel's catalogue."""

from __future__ import annotations

ES: dict[str, str] = {
    "nav_payments": "Pagos", "payments": "Pagos", "charge_id": "Cargo",
    "currency": "Moneda", "refund": "Reembolsar", "refunded": "reembolsado",
    "paid": "pagado", "renewal": "Renovación", "plan_end": "VIP hasta",
    "refund_title": "Reembolsar un pago",
    "refund_confirm": "¿Reembolsar {amount} {currency} del cargo {charge} al usuario {user}? "
    "Telegram devuelve las estrellas y el plan VIP termina ahora.",
    "refund_yes": "Sí, reembolsar", "refund_done": "Pago reembolsado; el plan ha terminado.",
    "refund_again": "Ese pago ya estaba reembolsado; no ha cambiado nada.",
    "refund_refused": "Telegram ha rechazado el reembolso ({reason}); no ha cambiado nada.",
    "refund_no_bot": "No hay bot de Telegram en este proceso; no ha cambiado nada.",
    "totals_per_day": "Totales por día (estrellas)", "day": "Día", "count": "Pagos",
    "stars": "Estrellas", "stars_refunded": "Reembolsadas",
    "recent_payments": "Pagos recientes (30 días)", "support_requests":
    "Consultas de pago (/paysupport)", "text": "Mensaje",
}

EN: dict[str, str] = {
    "nav_payments": "Payments", "payments": "Payments", "charge_id": "Charge",
    "currency": "Currency", "refund": "Refund", "refunded": "refunded", "paid": "paid",
    "renewal": "Renewal", "plan_end": "VIP until", "refund_title": "Refund a payment",
    "refund_confirm": "Refund {amount} {currency} of charge {charge} to user {user}? "
    "Telegram returns the Stars and the VIP plan ends now.",
    "refund_yes": "Yes, refund", "refund_done": "Payment refunded; the plan has ended.",
    "refund_again": "That payment was already refunded; nothing changed.",
    "refund_refused": "Telegram refused the refund ({reason}); nothing changed.",
    "refund_no_bot": "No Telegram bot in this process; nothing changed.",
    "totals_per_day": "Totals per day (Stars)", "day": "Day", "count": "Payments",
    "stars": "Stars", "stars_refunded": "Refunded",
    "recent_payments": "Recent payments (30 days)", "support_requests":
    "Payment support requests (/paysupport)", "text": "Message",
}
