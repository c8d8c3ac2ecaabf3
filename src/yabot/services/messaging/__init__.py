"""Outgoing messages: a durable, paced send queue (and broadcasts over it).

Queue a message **in your own write transaction**, so it commits with the effects it tells
the user about (a crash before the commit sends nothing, after it the message is sent):

    messages = domain.messages                     # a MessageQueue (services/container.py)

    async with bus.transaction() as tx:            # or a subscriber's `ctx`
        ...                                        # your effects and events
        await messages.enqueue(
            tx, chat_id=user_chat_id, text="¡Listo!",
            reply_markup={"inline_keyboard": [[{"text": "Ver", "callback_data": "x"}]]},
            dedupe_key=f"notice:{event.event_id}", kind="notice")

- `chat_id`: the Telegram chat (a user's private chat id is their user id).
- `text`: HTML by default (the bot's default `parse_mode`); pass `parse_mode` to change it.
- `reply_markup`: the Bot API JSON shape (a dict) or an aiogram markup object.
- `dedupe_key`: optional, unique across the queue: a second `enqueue` with the same key is
  ignored (use the event id for a subscriber's notice, so a redelivery queues nothing new).
- `kind`: `reply` (default; sent first), `notice`, or `broadcast` (sent last).
- `enqueue_call(tx, chat_id=…, method="sendInvoice", params={…})` queues any Bot API call.

The sender (`services/messaging/sender.py`, started by the bot runtime) sends committed rows
at `TELEGRAM_SEND_RATE` per second for the whole deployment, about one per second per chat,
waits a 429's `retry_after`, and on a 403 marks the user blocked (nothing more is sent to
them until they write again). Replies and notices are sent at least once (a lease on each
claimed row); broadcast rows at most once (marked `sending` before the send).
"""

from yabot.services.messaging.queue import MessageKind, MessageQueue

__all__ = ["MessageKind", "MessageQueue"]
