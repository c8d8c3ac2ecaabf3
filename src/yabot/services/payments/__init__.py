"""Payments: VIP sold in Telegram Stars, refunds, the VIP channel and payment support."""
