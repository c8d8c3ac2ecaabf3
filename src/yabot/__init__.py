"""YABOT: backend of a Telegram narrative and gamification bot."""

__version__ = "0.1.0"
