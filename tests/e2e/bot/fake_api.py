"""A fake Telegram Bot API over real HTTP (stdlib server in a thread) for the bot tests.

Records every call, answers like the Bot API (messages, invoices and invoice links, invite
links; True for answerPreCheckoutQuery, refundStarPayment, editUserStarSubscription,
approve/declineChatJoinRequest,
ban/unbanChatMember, setMyCommands), serves queued updates to getUpdates with offset
confirmation (as Telegram does), and injects failures: 5xx or 429 + retry_after, or a 400
refusal with Telegram's description (`refuse`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

BOT_USER = {"id": 424242, "is_bot": True, "first_name": "Diana", "username": "diana_test_bot"}
SENDS = ("sendmessage", "editmessagetext")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024


class FakeBotAPI:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.failures: list[tuple[str, int, int, int | None]] = []  # method, n, status, after
        self.refusals: dict[str, list[str]] = {}  # method -> descriptions of its next 400s
        self.updates: list[dict[str, Any]] = []
        self.stale: list[dict[str, Any]] = []  # served once more whatever the offset
        self.held: dict[str, float] = {}  # method -> seconds: answered late, 502, not recorded
        self.blocked: set[int] = set()  # chats whose user blocked the bot: sends answer 403
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self._mid = 1000
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.server.handle_error = lambda *a: None  # type: ignore[method-assign]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeBotAPI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- test side ------------------------------------------------------------------
    def fail(self, method: str, times: int, status: int = 502,
             retry_after: int | None = None) -> None:
        """The next `times` calls of `method` fail with `status` (429: with retry_after)."""
        with self.lock:
            self.failures.append((method.lower(), times, status, retry_after))

    def hold(self, method: str, seconds: float) -> None:
        """Calls of `method` hang for `seconds`, then fail 502 (nothing delivered)."""
        with self.lock:
            self.held[method.lower()] = seconds

    def refuse(self, method: str, description: str, times: int = 1) -> None:
        """The next `times` calls of `method` answer 400 with `description` (Telegram's
        refusal, e.g. refundStarPayment: "Bad Request: CHARGE_NOT_FOUND")."""
        with self.lock:
            self.refusals.setdefault(method.lower(), []).extend([description] * times)

    def push(self, *updates: dict[str, Any]) -> None:
        with self.lock:
            self.updates.extend(updates)

    def redeliver(self, *updates: dict[str, Any]) -> None:
        """Serve already-confirmed updates again, as Telegram does after a lost offset."""
        with self.lock:
            self.stale.extend(updates)

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        with self.lock:
            return [p for m, p in self.calls if m.lower() == method.lower()]

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        with self.lock:
            return [p for m, p in self.calls
                    if m.lower() in SENDS and str(p.get("chat_id")) == str(chat_id)]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(min(left, 0.2))
        return True

    def wait_sent(self, chat_id: int, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        assert self.wait_for(lambda: len(self._sent_unlocked(chat_id)) >= count, timeout), \
            f"expected {count} messages to {chat_id}, got {self._sent_unlocked(chat_id)}"
        return self.sent_to(chat_id)

    def wait_text(self, chat_id: int, needle: str, timeout: float = 30.0) -> dict[str, Any]:
        """The first message to `chat_id` whose text contains `needle` (waits for it)."""
        def found() -> list[dict[str, Any]]:
            return [p for p in self._sent_unlocked(chat_id) if needle in str(p.get("text"))]
        assert self.wait_for(lambda: bool(found()), timeout), \
            f"no message with {needle!r} to {chat_id}: {self._sent_unlocked(chat_id)}"
        return found()[0]

    def count_text(self, chat_id: int, needle: str) -> int:
        return sum(needle in str(p.get("text")) for p in self.sent_to(chat_id))

    def _sent_unlocked(self, chat_id: int) -> list[dict[str, Any]]:
        return [p for m, p in self.calls
                if m.lower() in SENDS and str(p.get("chat_id")) == str(chat_id)]

    # --- server side ----------------------------------------------------------------
    def _failure(self, method: str) -> tuple[int, int | None] | None:
        for i, (m, n, status, after) in enumerate(self.failures):
            if m == method:
                self.failures[i] = (m, n - 1, status, after)
                if n - 1 <= 0:
                    del self.failures[i]
                return status, after
        return None

    def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getme":
            return BOT_USER
        if method == "createinvoicelink":
            return f"https://t.me/$invoice{len(self.calls)}"
        if method == "createchatinvitelink":
            return {"invite_link": f"https://t.me/+invite{len(self.calls)}",
                    "creator": BOT_USER, "creates_join_request": False, "is_primary": False,
                    "is_revoked": False, "member_limit": params.get("member_limit"),
                    "expire_date": params.get("expire_date"), "name": params.get("name")}
        if method == "sendinvoice":
            self._mid += 1
            return {"message_id": self._mid, "date": int(time.time()),
                    "chat": {"id": int(params.get("chat_id", 0)), "type": "private"},
                    "from": BOT_USER, "invoice": {
                        "title": params.get("title", ""), "description": "",
                        "start_parameter": "", "currency": params.get("currency", "XTR"),
                        "total_amount": 0}}
        if method in SENDS:
            self._mid += 1
            msg: dict[str, Any] = {"message_id": self._mid, "date": int(time.time()),
                                   "chat": {"id": int(params.get("chat_id", 0)),
                                            "type": "private"},
                                   "from": BOT_USER, "text": params.get("text", "")}
            return msg
        if method == "getupdates":
            offset = int(params.get("offset") or 0)
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            stale, self.stale = self.stale, []
            return stale + list(self.updates)
        return True

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _params(self) -> dict[str, Any]:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                ctype = self.headers.get("Content-Type", "")
                if "json" in ctype and body:
                    return dict(json.loads(body))
                if "multipart/form-data" in ctype:
                    params: dict[str, Any] = {}
                    boundary = ctype.split("boundary=")[-1]
                    for part in body.split("--" + boundary):
                        head, _, value = part.partition("\r\n\r\n")
                        if 'name="' in head:
                            name = head.split('name="')[1].split('"')[0]
                            params[name] = value.rstrip("\r\n")
                    return params
                return {k: v[0] for k, v in parse_qs(body).items()}

            def do_POST(self) -> None:
                method = urlparse(self.path).path.rstrip("/").split("/")[-1].lower()
                params = self._params()
                with fake.lock:
                    held = fake.held.get(method)
                    if held is not None:
                        fake.calls.append(("held:" + method, params))
                if held is not None:
                    time.sleep(held)
                    self.send_response(502)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with fake.changed:
                    failure = fake._failure(method)
                    if failure is None and method in SENDS and fake.blocked and \
                            int(params.get("chat_id") or 0) in fake.blocked:
                        failure = (403, None)
                    refusals = fake.refusals.get(method)
                    body: dict[str, Any]
                    if failure is None and refusals:
                        fake.calls.append((method, params))
                        status = 400
                        body = {"ok": False, "error_code": 400,
                                "description": refusals.pop(0)}
                    elif failure is None:
                        fake.calls.append((method, params))
                        body = {"ok": True, "result": fake._answer(method, params)}
                        status = 200
                    else:
                        status, after = failure
                        body = {"ok": False, "error_code": status, "description": "injected"}
                        if after is not None:
                            body["parameters"] = {"retry_after": after}
                    fake.changed.notify_all()
                if method == "getupdates" and status == 200 and not body["result"]:
                    time.sleep(0.1)  # a short long-poll
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST

        return Handler


def user(uid: int, language: str = "es") -> dict[str, Any]:
    return {"id": uid, "is_bot": False, "first_name": "Ana", "username": f"ana{uid}",
            "language_code": language}


def message(update_id: int, uid: int, text: str) -> dict[str, Any]:
    msg: dict[str, Any] = {"message_id": update_id, "date": int(time.time()),
                           "chat": {"id": uid, "type": "private"}, "from": user(uid),
                           "text": text}
    if text.startswith("/"):
        msg["entities"] = [{"type": "bot_command", "offset": 0,
                            "length": len(text.split()[0])}]
    return {"update_id": update_id, "message": msg}


def button(update_id: int, uid: int, data: str, message_id: int = 1) -> dict[str, Any]:
    return {"update_id": update_id, "callback_query": {
        "id": f"cb{update_id}", "chat_instance": "ci", "from": user(uid), "data": data,
        "message": {"message_id": message_id, "date": int(time.time()),
                    "chat": {"id": uid, "type": "private"}, "from": BOT_USER, "text": "…"}}}


def reaction(update_id: int, uid: int, message_id: int, emoji: str = "❤") -> dict[str, Any]:
    return {"update_id": update_id, "message_reaction": {
        "chat": {"id": uid, "type": "private"}, "message_id": message_id, "user": user(uid),
        "date": int(time.time()), "old_reaction": [],
        "new_reaction": [{"type": "emoji", "emoji": emoji}]}}


def buttons_of(sent: dict[str, Any]) -> list[str]:
    """The callback data of a sent message's inline keyboard."""
    markup = sent.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
    if not markup:
        return []
    return [b["callback_data"] for row in markup["inline_keyboard"] for b in row]


def pre_checkout(update_id: int, uid: int, payload: str, amount: int = 250,
                 currency: str = "XTR") -> dict[str, Any]:
    return {"update_id": update_id, "pre_checkout_query": {
        "id": f"pcq{update_id}", "from": user(uid), "currency": currency,
        "total_amount": amount, "invoice_payload": payload}}


def paid(update_id: int, uid: int, charge_id: str, payload: str, amount: int = 250,
         recurring: bool = False) -> dict[str, Any]:
    """A `successful_payment` service message (a Stars subscription payment)."""
    payment: dict[str, Any] = {
        "currency": "XTR", "total_amount": amount, "invoice_payload": payload,
        "telegram_payment_charge_id": charge_id, "provider_payment_charge_id": "",
        "subscription_expiration_date": int(time.time()) + 30 * 86400}
    if recurring:
        payment["is_recurring"] = True
    else:
        payment["is_first_recurring"] = True
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()),
        "chat": {"id": uid, "type": "private"}, "from": user(uid),
        "successful_payment": payment}}


def join_request(update_id: int, uid: int, chat_id: int) -> dict[str, Any]:
    return {"update_id": update_id, "chat_join_request": {
        "chat": {"id": chat_id, "type": "channel", "title": "VIP"}, "from": user(uid),
        "user_chat_id": uid, "date": int(time.time())}}


def member_change(update_id: int, uid: int, chat_id: int, old: str, new: str
                  ) -> dict[str, Any]:
    return {"update_id": update_id, "chat_member": {
        "chat": {"id": chat_id, "type": "channel", "title": "VIP"}, "from": user(uid),
        "date": int(time.time()),
        "old_chat_member": {"status": old, "user": user(uid)},
        "new_chat_member": {"status": new, "user": user(uid)}}}


def url_buttons_of(sent: dict[str, Any]) -> list[str]:
    markup = sent.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
    if not markup:
        return []
    return [b["url"] for row in markup["inline_keyboard"] for b in row if "url" in b]
