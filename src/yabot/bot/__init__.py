"""The Telegram bot on aiogram 3: dispatcher, middlewares, handlers, webhook, polling, chat."""
