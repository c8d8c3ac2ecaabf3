"""`yabot chat`: the bot in the terminal, through the same dispatcher, handlers and services.

One line per message (interactive or piped). Replies print as text, then their buttons as
numbered options; a number presses that button of the latest message with buttons;
`:react [emoji]` reacts to the latest bot message; `:wait TEXT` waits (up to 30 s) until a
reply containing TEXT has been shown (for scripts that need a notice first). End of input
ends the chat.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import os
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from aiogram import Bot, Dispatcher
from aiogram.types import Message, Update

from yabot.bot.auction_notices import AuctionNotifier
from yabot.bot.dispatcher import create_bot, create_dispatcher
from yabot.bot.fsm import create_storage
from yabot.bot.local_session import LocalSession
from yabot.bot.notify import Notifier
from yabot.events.bus import EventBus
from yabot.logs import get_logger
from yabot.services.container import DomainServices
from yabot.settings import Settings

log = get_logger(__name__)
_TAG = re.compile(r"<[^>]+>")
NOTICE_WAIT = 3.0
WAIT_LIMIT = 30.0
CONSOLE_TOKEN = "10:local-console"  # never sent anywhere: the session is in-process


def plain(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


class ChatConsole:
    def __init__(self, *, dispatcher: Dispatcher, bot: Bot, session: LocalSession,
                 user_id: int, first_name: str | None = None,
                 stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        self.dp, self.bot, self.session = dispatcher, bot, session
        self.stdin, self.stdout = stdin or sys.stdin, stdout or sys.stdout
        self.user: dict[str, Any] = {"id": user_id, "is_bot": False, "language_code": "es",
                                     "first_name": first_name or os.environ.get("USER")
                                     or "Terminal"}
        self.update_ids = itertools.count(1)
        self.buttons: list[tuple[Message, str, str]] = []  # (message, data, text)
        self.last_message: Message | None = None
        self.seen: list[str] = []  # texts shown since the last `:wait`

    def _chat(self) -> dict[str, Any]:
        return {"id": self.user["id"], "type": "private", "first_name": self.user["first_name"]}

    def _now(self) -> int:
        return int(datetime.now(UTC).timestamp())

    def update_for(self, line: str) -> dict[str, Any] | None:
        """The update a line of input stands for (None: nothing to send)."""
        uid = next(self.update_ids)
        if line.isdigit() and self.buttons:
            index = int(line) - 1
            if not 0 <= index < len(self.buttons):
                return None
            message, data, _ = self.buttons[index]
            return {"update_id": uid, "callback_query": {
                "id": str(uid), "chat_instance": "console", "from": self.user, "data": data,
                "message": message.model_dump(mode="json", by_alias=True, exclude_none=True)}}
        if line.startswith(":react"):
            if self.last_message is None:
                return None
            emoji = line[len(":react"):].strip() or "❤"
            return {"update_id": uid, "message_reaction": {
                "chat": self._chat(), "message_id": self.last_message.message_id,
                "user": self.user, "date": self._now(), "old_reaction": [],
                "new_reaction": [{"type": "emoji", "emoji": emoji}]}}
        sent: dict[str, Any] = {"message_id": next(self.session.ids), "date": self._now(),
                                "chat": self._chat(), "from": self.user, "text": line}
        if line.startswith("/"):
            sent["entities"] = [{"type": "bot_command", "offset": 0,
                                 "length": len(line.split()[0])}]
        return {"update_id": uid, "message": sent}

    def show(self, message: Message) -> None:
        if message.message_id == 0:  # a callback answer (toast)
            print(f"({plain(message.text or '')})", file=self.stdout)
            return
        print(plain(message.text or ""), file=self.stdout)
        self.seen.append(plain(message.text or ""))
        self.last_message = message
        markup = message.reply_markup
        if markup is not None and markup.inline_keyboard:
            self.buttons = [(message, b.callback_data, b.text) for row in markup.inline_keyboard
                            for b in row if b.callback_data]
            for i, (_, _, text) in enumerate(self.buttons, 1):
                print(f"  [{i}] {text}", file=self.stdout)
        print(file=self.stdout, flush=True)

    async def drain(self, wait: float = 0.0) -> int:
        """Print the captured replies; with `wait`, wait that long for a first one."""
        shown = 0
        if wait and self.session.sent.empty():
            try:
                self.show(await asyncio.wait_for(self.session.sent.get(), wait))
                shown += 1
            except TimeoutError:
                return 0
        while not self.session.sent.empty():
            self.show(self.session.sent.get_nowait())
            shown += 1
        return shown

    async def wait_for(self, text: str) -> bool:
        """Show replies until one contains `text`, for at most WAIT_LIMIT seconds."""
        seen, self.seen = self.seen, []
        if any(text in shown for shown in seen):
            return True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_LIMIT
        while (left := deadline - loop.time()) > 0:
            try:
                message = await asyncio.wait_for(self.session.sent.get(), left)
            except TimeoutError:
                break
            self.show(message)
            if text in plain(message.text or ""):
                self.seen = []
                return True
        print(f"(no llegó / did not arrive: {text})", file=self.stdout, flush=True)
        return False

    async def send(self, line: str) -> None:
        if line.startswith(":wait"):
            await self.wait_for(line[len(":wait"):].strip())
            return
        raw = self.update_for(line)
        if raw is None:
            print("(nada que enviar / nothing to send)", file=self.stdout, flush=True)
            return
        update = Update.model_validate(raw, context={"bot": self.bot})
        try:
            await self.dp.feed_update(self.bot, update)
        except Exception as exc:  # the apology was captured; keep chatting
            log.error("chat message failed", error=f"{type(exc).__name__}: {exc}")
        await self.drain(NOTICE_WAIT if "message_reaction" in raw else 0.0)

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        interactive = self.stdin.isatty()
        if interactive:
            print(f"YABOT chat as user {self.user['id']} — /start to begin, Ctrl-D to leave.",
                  file=self.stdout, flush=True)
        while True:
            if interactive:
                print("> ", end="", file=self.stdout, flush=True)
            line = await loop.run_in_executor(None, self.stdin.readline)
            if not line:
                break
            line = line.strip()
            if line:
                await self.send(line)
            await self.drain()
        await self.drain(0.5)
        return 0



class ChatSession:
    """A console over the built services: notifier registered (before `bus.start()`)."""

    def __init__(self, domain: DomainServices, bus: EventBus, settings: Settings, *,
                 user_id: int, stdin: TextIO | None = None,
                 stdout: TextIO | None = None) -> None:
        self.session = LocalSession()
        self.bot = create_bot(settings.bot, session=self.session, token=CONSOLE_TOKEN)
        dispatcher = create_dispatcher(domain, storage=create_storage(settings.redis))
        # its own group: a chat next to `yabot run` (on Redis) never takes the bot's notices
        self.notifier = Notifier(domain, group="bot-notify-chat", only_user=str(user_id))
        self.notifier.register(bus)
        self.auction_notifier = AuctionNotifier(domain, group="bot-auction-notify-chat",
                                                only_user=str(user_id))
        self.auction_notifier.register(bus)
        self.console = ChatConsole(dispatcher=dispatcher, bot=self.bot, session=self.session,
                                   user_id=user_id, stdin=stdin, stdout=stdout)
        self.dispatcher = dispatcher

    async def run(self) -> int:
        self.notifier.attach(self.bot)
        self.auction_notifier.attach(self.bot)
        try:
            return await self.console.run()
        finally:
            await self.notifier.detach(timeout=1.0)
            await self.auction_notifier.detach()
            await self.console.drain()
            await self.dispatcher.storage.close()
