"""NarrativeService: fragments, the user's progress through the story, the VIP gate, hints.

`process_choice` commits the progress and `decision_made` together when documents live in
the relational SQLite database (the default). With separate stores the relational commit
(the event) comes first and the document change is applied right after, idempotently (by
step number); the `narrative-progress` subscriber repairs a change lost to a crash.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from yabot.domain.errors import ContentError, InvalidChoiceError, NotFoundError, VipRequiredError
from yabot.domain.events import (
    BaseEvent,
    DecisionMade,
    DecisionMadePayload,
    NarrativeHintUnlocked,
    NarrativeHintUnlockedPayload,
    VipAccessDenied,
    VipAccessGranted,
    VipAccessPayload,
)
from yabot.domain.models import Hint, NarrativeFragment, UserDocument
from yabot.domain.views import ChoiceOutcome
from yabot.events.bus import EventBus
from yabot.events.handler_context import HandlerContext, Publisher
from yabot.events.sequencing import publish_sequenced
from yabot.logs import get_logger
from yabot.observability.metrics import Metrics, db_operation
from yabot.services.narrative import content, pack_sections, progress_events
from yabot.services.narrative.ports import HintStore, SharedDocuments, StoryStore
from yabot.services.narrative.progress_events import advance
from yabot.services.subscriptions.service import SubscriptionService
from yabot.storage.documents.base import DocumentStore

log = get_logger(__name__)
START_FRAGMENT = "fragment_001"
PROGRESS_GROUP = "narrative-progress"


class _Moved(Exception):
    """The user's document changed between read and write: read again."""


class NarrativeService:
    def __init__(self, *, documents: DocumentStore, hints: HintStore, story: StoryStore,
                 shared: SharedDocuments | None, bus: EventBus,
                 subscriptions: SubscriptionService, metrics: Metrics | None = None) -> None:
        """`shared`: documents written in the relational transaction (None: separate stores)."""
        self.documents, self.hints, self.story, self.shared = documents, hints, story, shared
        self.bus, self.subscriptions, self.metrics = bus, subscriptions, metrics

    def register(self) -> None:
        """With separate stores, subscribe the progress repair (call before `bus.start()`)."""
        if self.shared is None:
            self.bus.add_subscriber("decision_made", self._repair_progress, group=PROGRESS_GROUP)

    # --- fragments ----------------------------------------------------------------------
    async def get_fragment(self, fragment_id: str, *,
                           user_id: str | None = None) -> NarrativeFragment:
        """NotFoundError("fragment"). With `user_id`, a VIP fragment checks the plan:
        VipRequiredError when not VIP; publishes vip_access_granted/denied either way."""
        fragment = await self._fragment(fragment_id)
        if (user_id is not None and fragment.metadata.vip_required
                and not await self.story.fragment_unlocked(user_id, fragment_id)
                and not await self.check_vip(user_id, f"fragment:{fragment_id}")):
            raise VipRequiredError(user_id, fragment_id)
        return fragment

    async def list_fragments(self, *, limit: int = 100,
                             offset: int = 0) -> list[NarrativeFragment]:
        return await self.documents.fragments.list(limit=limit, offset=offset)

    async def check_vip(self, user_id: str, resource: str, *,
                        tx: Publisher | None = None) -> bool:
        """True with an active VIP plan; publishes vip_access_granted or _denied."""
        vip = await self.subscriptions.is_vip(user_id)
        payload = VipAccessPayload(resource=resource,
                                   reason=None if vip else "no active VIP plan")
        event = (VipAccessGranted if vip else VipAccessDenied)(user_id=user_id, payload=payload)
        if tx is not None:
            await tx.publish(event)
        else:
            async with self.bus.transaction() as own:
                await own.publish(event)
        return vip

    # --- progress -----------------------------------------------------------------------
    async def current(self, user_id: str) -> NarrativeFragment:
        """The user's current fragment (the start fragment when they have none)."""
        doc = await self._user(user_id)
        return await self._fragment(doc.current_state.narrative_progress.current_fragment
                                    or START_FRAGMENT)

    async def start(self, user_id: str) -> NarrativeFragment:
        """Put the user on the start fragment and return it."""
        fragment = await self._fragment(START_FRAGMENT)
        await self._user(user_id)
        await self.documents.users.update_state(
            user_id, {"narrative_progress.current_fragment": START_FRAGMENT})
        return fragment

    async def begin(self, user_id: str) -> bool:
        """/start: put a user with no progress on the first fragment and publish its
        `fragment_started` in the same commit (once per user); False when already begun."""
        for _ in range(5):
            doc = await self._user(user_id)
            progress = doc.current_state.narrative_progress
            if progress.current_fragment:
                return False
            new = progress.model_copy(update={"current_fragment": START_FRAGMENT})
            try:
                async with self.bus.transaction() as tx:
                    event = await progress_events.start_event(self.story, tx, user_id,
                                                              START_FRAGMENT)
                    if event is None:
                        return False
                    if self.shared is not None and await self.shared.set_user_state(
                            tx, user_id, {"narrative_progress": new.model_dump(mode="json")},
                            expect_version=doc.version) is None:
                        raise _Moved
                    await tx.publish(event)
            except _Moved:
                continue
            if self.shared is None:  # separate stores: the event is the record, the doc follows
                await self.documents.users.update_state(
                    user_id, {"narrative_progress.current_fragment": START_FRAGMENT})
            return True
        return False

    @db_operation("process_choice")
    async def process_choice(self, user_id: str, choice_id: str) -> ChoiceOutcome:
        """InvalidChoiceError if the choice is not on the current fragment; otherwise move on
        (or stop at the VIP gate), update progress and publish `decision_made`."""
        for _ in range(5):
            try:
                return await self._choose(user_id, choice_id)
            except _Moved:
                continue
        raise InvalidChoiceError(user_id, choice_id, None)  # the state kept moving under us

    async def _choose(self, user_id: str, choice_id: str) -> ChoiceOutcome:
        doc = await self._user(user_id)
        progress = doc.current_state.narrative_progress
        current = await self._fragment(progress.current_fragment or START_FRAGMENT)
        choice = next((c for c in current.choices if c.id == choice_id), None)
        if choice is None:
            raise InvalidChoiceError(user_id, choice_id, current.fragment_id)
        target = (await self._fragment(choice.next_fragment) if choice.next_fragment
                  else current)
        if (target.metadata.vip_required
                and not await self.story.fragment_unlocked(user_id, target.fragment_id)
                and not await self.check_vip(user_id, f"fragment:{target.fragment_id}")):
            return ChoiceOutcome(user_id=user_id, choice_id=choice_id, fragment=current,
                                 vip_denied=True, denied_fragment_id=target.fragment_id)
        new = advance(progress, current.fragment_id, choice_id, target.fragment_id)
        event = DecisionMade(user_id=user_id, payload=DecisionMadePayload(
            choice_id=choice_id, context={"fragment_id": current.fragment_id,
                                          "next_fragment_id": target.fragment_id,
                                          "step": len(new.choices_made)}))
        async with self.bus.transaction() as tx:
            if self.shared is not None and await self.shared.set_user_state(
                    tx, user_id, {"narrative_progress": new.model_dump(mode="json")},
                    expect_version=doc.version) is None:
                raise _Moved
            await tx.publish(event, *await progress_events.progress_events(
                self.story, tx, user_id, current.fragment_id, choice, target.fragment_id))
            hints = await self.hints.unlocked_for(tx, user_id, target.fragment_id)
        if self.shared is None:
            await self._apply_progress(user_id, event)
        return ChoiceOutcome(user_id=user_id, choice_id=choice_id, fragment=target,
                             hints_unlocked=hints)

    async def _apply_progress(self, user_id: str, event: BaseEvent) -> None:
        """Separate stores: apply a decision to the document unless already applied."""
        assert isinstance(event, DecisionMade)
        ctx = event.payload.context
        doc = await self.documents.users.get(user_id)
        if doc is None:
            return  # the user was deleted since
        progress = doc.current_state.narrative_progress
        if len(progress.choices_made) >= int(ctx["step"]):
            return
        new = advance(progress, str(ctx["fragment_id"]), event.payload.choice_id,
                      str(ctx["next_fragment_id"]))
        await self.documents.users.update_state(
            user_id, {"narrative_progress": new.model_dump(mode="json")})

    async def _repair_progress(self, event: BaseEvent, _ctx: HandlerContext) -> None:
        if event.user_id is not None:
            await self._apply_progress(event.user_id, event)

    # --- hints --------------------------------------------------------------------------
    async def unlock_hints(self, user_id: str, balance: int, *, tx: Publisher,
                           cause: BaseEvent | None = None) -> list[str]:
        """Publish `narrative_hint_unlocked` for hints reached at `balance`, once each."""
        unlocked: list[str] = []
        for hint_id, fragment_id in await self.hints.reached(tx, user_id, balance):
            payload = NarrativeHintUnlockedPayload(hint_id=hint_id, fragment_id=fragment_id)
            event = (cause.follow(NarrativeHintUnlocked, payload=payload) if cause is not None
                     else NarrativeHintUnlocked(user_id=user_id, payload=payload))
            if await self.hints.unlock(tx, user_id, hint_id, event.event_id):
                await publish_sequenced(tx, event)
                unlocked.append(hint_id)
        return unlocked

    async def unlocked_hints(self, user_id: str) -> list[Hint]:
        """The hints this user has unlocked, with their text."""
        return await self.hints.unlocked_hints(user_id)

    # --- content packs ------------------------------------------------------------------
    async def load_pack_file(self, path: str) -> tuple[int, int]:
        """Validate then load a YAML/JSON pack, all or nothing; ContentError names
        file, fragment and field. Returns (fragments, items) loaded."""
        try:
            raw = await asyncio.to_thread(Path(path).read_text, "utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ContentError([f"{path}: cannot read the file: {exc}"]) from None
        return await self.load_pack_text(raw, source=path)

    async def load_pack_text(self, raw: str, *, source: str) -> tuple[int, int]:
        """As `load_pack_file`, for an uploaded pack (`source` names it in errors)."""
        pack = content.parse_pack(raw, source=source)
        stored = await content.stored_fragment_ids(self.documents)
        hints = await content.stored_hint_ids(self.story)
        problems = content.check_pack(pack, source=source, stored=stored, stored_hints=hints)
        if problems:
            raise ContentError(problems)
        return await self.load_pack(pack, source=source)

    async def load_pack(self, pack: content.ContentPack, *,
                        source: str = "<pack>") -> tuple[int, int]:
        """Write a checked pack: one commit on the embedded default; with separate stores
        hints and sections (with `content_published`) first, then documents (every write is
        an upsert: re-running completes an interrupted load)."""
        event = await content.published_event(self.documents, self.story, pack, source)
        async with self.bus.transaction() as tx:
            await self.hints.upsert_hints(tx, pack.hints)
            await self.story.store_sections(tx, pack_sections.section_rows(pack))
            await tx.publish(event)
            if self.shared is not None:
                for fragment in pack.fragments:
                    await self.shared.upsert_fragment(tx, fragment)
                for item in pack.items:
                    await self.shared.upsert_item(tx, item)
        if self.shared is None:
            for fragment in pack.fragments:
                await self.documents.fragments.upsert(fragment)
            for item in pack.items:
                await self.documents.items.upsert(item)
        return len(pack.fragments), len(pack.items)

    async def seed_default_content(self) -> bool:
        """Load the demo story on first start (when the store has no fragment yet)."""
        if await self.documents.fragments.list(limit=1):
            return False
        fragments, items = await self.load_pack(content.default_pack(),
                                                source="default_story.yaml")
        log.info("demo content loaded", fragments=fragments, items=items)
        return True

    # --- helpers ------------------------------------------------------------------------
    async def _fragment(self, fragment_id: str) -> NarrativeFragment:
        fragment = await self.documents.fragments.get(fragment_id)
        if fragment is None:
            raise NotFoundError("fragment", fragment_id)
        return fragment

    async def _user(self, user_id: str) -> UserDocument:
        doc = await self.documents.users.get(user_id)
        if doc is None:
            raise NotFoundError("user", user_id)
        return doc
