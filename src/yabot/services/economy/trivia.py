"""Trivia: one answer per user and question (the first counts); a right one earns its
reward (`trivia:<question_id>`); the answer, the reward and `trivia_answered` commit
together."""

from __future__ import annotations

from yabot.domain.clock import utcnow
from yabot.domain.economy import TriviaQuestion
from yabot.domain.errors import NotFoundError
from yabot.domain.events import TriviaAnswered, TriviaAnsweredPayload
from yabot.events.bus import EventBus
from yabot.events.handler_context import Publisher
from yabot.services.economy.ports import EconomyStore
from yabot.services.economy.rules import RuleBook
from yabot.services.economy.views import TriviaAnswer
from yabot.services.wallet.service import BesitosService


class Trivia:
    def __init__(self, *, store: EconomyStore, bus: EventBus, besitos: BesitosService,
                 rules: RuleBook) -> None:
        self.store, self.bus, self.besitos, self.rules = store, bus, besitos, rules

    async def next_question(self, user_id: str) -> TriviaQuestion | None:
        """The first question of the pack the user has not answered (None: all done)."""
        rules = await self.rules.get()
        answered = await self.store.answers_of(user_id)
        return next((q for q in rules.trivia if q.question_id not in answered), None)

    async def question(self, question_id: str) -> TriviaQuestion:
        found = (await self.rules.get()).question(question_id)
        if found is None:
            raise NotFoundError("question", question_id)
        return found

    async def answer(self, user_id: str, question_id: str, option: int) -> TriviaAnswer:
        """Record the user's answer once; a second answer changes nothing (applied=False)."""
        question = await self.question(question_id)
        if not 0 <= option < len(question.options):
            raise ValueError(f"option must be 0..{len(question.options) - 1}")
        try:
            async with self.bus.transaction() as tx:
                return await self._answer(tx, user_id, question, option)
        except self.store.races:  # a concurrent first answer won (PostgreSQL)
            async with self.bus.transaction() as tx:
                return await self._answer(tx, user_id, question, option)

    async def _answer(self, tx: Publisher, user_id: str, question: TriviaQuestion,
                      option: int) -> TriviaAnswer:
        if not await self.store.user_exists(user_id, tx=tx):
            raise NotFoundError("user", user_id)
        correct = option == question.answer
        reward = question.reward if correct else 0
        if not await self.store.record_answer(tx, user_id, question.question_id, option,
                                              correct, utcnow()):
            first, was_right = (await self.store.answers_of(user_id, tx=tx))[question.question_id]
            return TriviaAnswer(question_id=question.question_id, option=first,
                                correct=was_right, reward=0, applied=False,
                                correct_option=question.answer)
        event = TriviaAnswered(user_id=user_id, payload=TriviaAnsweredPayload(
            question_id=question.question_id, option=option, correct=correct, reward=reward))
        await tx.publish(event)
        if reward > 0:
            await self.besitos.award(user_id, reward, f"trivia:{question.question_id}",
                                     f"trivia:{user_id}:{question.question_id}", tx=tx,
                                     cause=event)
        return TriviaAnswer(question_id=question.question_id, option=option, correct=correct,
                            reward=reward, applied=True, correct_option=question.answer)
