"""Panel texts of the economy, auctions and the user page's economy cards (es, en)."""

from __future__ import annotations

ECONOMY_ES: dict[str, str] = {
    "nav_economy": "Economía", "nav_auctions": "Subastas",
    "econ_days": "{n} días", "econ_day": "día", "econ_created": "Creados",
    "econ_spent": "Gastados", "econ_supply": "Besitos en circulación",
    "econ_created_per_day": "Besitos creados por día y origen",
    "econ_spent_per_day": "Besitos gastados por día y destino",
    "econ_supply_over_time": "Masa monetaria a lo largo del tiempo",
    "econ_table": "Por día",
    "source_reaction": "Reacciones", "source_story": "Historia",
    "source_daily_gift": "Regalo diario", "source_mission": "Misiones",
    "source_achievement": "Logros", "source_trivia": "Trivia", "source_purchase": "Compras",
    "source_auction": "Subastas", "source_other": "Admin / API",
    "auction_open_new": "Abrir una subasta", "auction_item": "Objeto",
    "auction_min_bid": "Puja mínima", "auction_minutes": "Duración (minutos)",
    "auction_open": "Abrir", "auction_open_list": "Abiertas", "auction_closed_list":
    "Cerradas", "auction_highest": "Puja más alta", "auction_bidder": "Va ganando",
    "auction_bids": "Pujas", "auction_winner": "Ganador", "auction_closed_at": "Cerrada",
    "auction_none": "No hay subastas abiertas.", "auction_no_bids": "Sin pujas todavía.",
    "auction_close_now": "Cerrar ahora", "auction_status_open": "abierta",
    "auction_status_closed": "cerrada",
    "held": "Retenidos", "level": "Nivel", "earned": "ganados", "to_next":
    "faltan {n} para el siguiente", "streak": "Racha", "inventory": "Inventario",
    "achievements": "Logros", "missions_today": "Misiones de hoy",
    "mission_active": "en curso", "mission_completed": "cumplida",
    "mission_expired": "caducada", "items": "Objetos", "name": "Nombre", "price": "Precio",
    "kind": "Tipo", "rule": "Regla", "reward": "Premio", "missions_pool":
    "Misiones (reserva diaria)", "trivia": "Trivia", "question": "Pregunta",
    "answer": "Respuesta", "levels": "Niveles",
}

ECONOMY_EN: dict[str, str] = {
    "nav_economy": "Economy", "nav_auctions": "Auctions",
    "econ_days": "{n} days", "econ_day": "day", "econ_created": "Created",
    "econ_spent": "Spent", "econ_supply": "Besitos in circulation",
    "econ_created_per_day": "Besitos created per day by source",
    "econ_spent_per_day": "Besitos spent per day by sink",
    "econ_supply_over_time": "Money supply over time", "econ_table": "Per day",
    "source_reaction": "Reactions", "source_story": "Story",
    "source_daily_gift": "Daily gift", "source_mission": "Missions",
    "source_achievement": "Achievements", "source_trivia": "Trivia",
    "source_purchase": "Purchases", "source_auction": "Auctions",
    "source_other": "Admin / API",
    "auction_open_new": "Open an auction", "auction_item": "Item",
    "auction_min_bid": "Minimum bid", "auction_minutes": "Duration (minutes)",
    "auction_open": "Open", "auction_open_list": "Open", "auction_closed_list": "Closed",
    "auction_highest": "Highest bid", "auction_bidder": "Leading", "auction_bids": "Bids",
    "auction_winner": "Winner", "auction_closed_at": "Closed",
    "auction_none": "No open auctions.", "auction_no_bids": "No bids yet.",
    "auction_close_now": "Close now", "auction_status_open": "open",
    "auction_status_closed": "closed",
    "held": "Held", "level": "Level", "earned": "earned", "to_next": "{n} to the next",
    "streak": "Streak", "inventory": "Inventory", "achievements": "Achievements",
    "missions_today": "Today's missions", "mission_active": "active",
    "mission_completed": "completed", "mission_expired": "expired", "items": "Items",
    "name": "Name", "price": "Price", "kind": "Kind", "rule": "Rule", "reward": "Reward",
    "missions_pool": "Missions (daily pool)", "trivia": "Trivia", "question": "Question",
    "answer": "Answer", "levels": "Levels",
}
