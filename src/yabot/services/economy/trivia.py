"""Trivia: one answer per user and question (the first counts); a right one earns its
reward (`trivia:<question_id>`); the answer, the reward and `trivia_answered` commit
together."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from yabot.domain.clock import utcnow
from yabot.domain.economy import TriviaQuestion
from yabot.domain.errors import NotFoundError
from yabot.domain.events import TriviaAnswered, TriviaAnsweredPayload
from yabot.events.bus import EventBus
from yabot.events.handler_context import Publisher
from yabot.services.economy.rules import RuleBook
from yabot.services.economy.views import TriviaAnswer
from yabot.services.wallet.service import BesitosService
from yabot.storage.manager import DatabaseManager
from yabot.storage.sql.repositories import economy_progress as repo


class Trivia:
    def __init__(self, *, stores: DatabaseManager, bus: EventBus, besitos: BesitosService,
                 rules: RuleBook) -> None:
        self.stores, self.bus, self.besitos, self.rules = stores, bus, besitos, rules

    async def next_question(self, user_id: str) -> TriviaQuestion | None:
        """The first question of the pack the user has not answered (None: all done)."""
        rules = await self.rules.get()
        async with self.stores.sql.read() as conn:
            answered = await repo.answers_of(conn, user_id)
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
        except IntegrityError:  # a concurrent first answer won (PostgreSQL)
            async with self.bus.transaction() as tx:
                return await self._answer(tx, user_id, question, option)

    async def _answer(self, tx: Publisher, user_id: str, question: TriviaQuestion,
                      option: int) -> TriviaAnswer:
        if not await repo.user_exists(tx.conn, user_id):
            raise NotFoundError("user", user_id)
        correct = option == question.answer
        reward = question.reward if correct else 0
        if not await repo.record_answer(tx.conn, user_id, question.question_id, option,
                                        correct, utcnow()):
            first, was_right = (await repo.answers_of(tx.conn, user_id))[question.question_id]
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
