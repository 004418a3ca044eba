"""Calling user functions (tools, resource readers, prompts) the same way: validated, sync ones in a thread."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import logging
import queue
import threading
import typing
from collections.abc import Callable, Mapping
from typing import Any

import pydantic

from agentcore_mcp import _settings as settings
from agentcore_mcp import _wire as rpc
from agentcore_mcp.errors import ProtocolError, RegistrationError
from agentcore_mcp.server._context import Context
from agentcore_mcp.server._schema import ArgumentsModel, parse_docstring, signature_schema

logger = logging.getLogger("agentcore_mcp.server")

__all__ = ["CallTimedOut", "Function", "describe_validation_error"]


def is_context(annotation: Any) -> bool:
    """True for a parameter annotation asking for the request :class:`Context`."""
    return annotation is Context or (isinstance(annotation, type) and issubclass(annotation, Context))


class WorkerPool:
    """Threads that run sync user functions; results come back to the event loop of the caller.

    Leaner than :class:`concurrent.futures.ThreadPoolExecutor` plus ``run_in_executor`` on the hot path (a
    C ``SimpleQueue`` in, one ``call_soon_threadsafe`` out, no intermediate future): measured here it cuts
    the cost of a hop under concurrency about threefold. Threads start on demand up to ``max_workers``
    and live for the process (daemon threads).
    """

    def __init__(self, max_workers: int) -> None:
        self.max_workers = max_workers
        self._queue: queue.SimpleQueue[
            tuple[asyncio.AbstractEventLoop, asyncio.Future[Any], Callable[[], Any]] | None
        ] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = 0  # threads waiting for work
        self._queued = 0  # calls put in the queue and not yet taken
        self._lock = threading.Lock()

    def submit(self, call: Callable[[], Any]) -> asyncio.Future[Any]:
        """Run ``call()`` in a worker thread; the returned future resolves on the calling loop."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        with self._lock:
            # Every queued call needs an idle thread of its own; start one when there are not enough.
            spawn = self._queued >= self._idle and len(self._threads) < self.max_workers
            if spawn:
                self._idle += 1  # counted idle from the start: the burst's next call sees it
                thread = threading.Thread(
                    target=self._work, name=f"agentcore-mcp-tool-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
            self._queued += 1
        if spawn:
            thread.start()
        self._queue.put((loop, future, call))
        return future

    def _work(self) -> None:
        get, lock = self._queue.get, self._lock
        while True:
            item = get()
            with lock:  # the counts decide when to start threads: they must not drift
                self._idle -= 1
                self._queued -= 1
            if item is None:
                return
            loop, future, call = item
            done: Callable[[asyncio.Future[Any], Any], None]
            try:
                value = call()
                done = _succeed
            except BaseException as exc:  # handed to the awaiting coroutine, which re-raises it
                value, done = exc, _fail
            with lock:
                self._idle += 1
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody is waiting
                loop.call_soon_threadsafe(done, future, value)


def _succeed(future: asyncio.Future[Any], result: Any) -> None:
    if not future.done():  # cancelled or timed out meanwhile
        future.set_result(result)


def _fail(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


_pool: WorkerPool | None = None


def thread_pool() -> WorkerPool:
    """The one pool every sync function runs in; sized like anyio's default limiter (40)."""
    global _pool
    if _pool is None:
        _pool = WorkerPool(max(1, settings.whole_number(settings.THREADS, 40)))
    return _pool


def describe_validation_error(kind: str, name: str, exc: pydantic.ValidationError) -> str:
    """One line naming every wrong argument, e.g. ``Invalid arguments for tool 'add': a: Field required``."""
    problems = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "arguments"
        problems.append(f"{where}: {err['msg']}")
    return f"Invalid arguments for {kind} {name!r}: " + "; ".join(problems)


class _RawArguments:
    """Pass-through 'validator' for functions that publish their own input schema."""

    __slots__ = ("schema",)

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema

    def validate(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        return dict(arguments)


class Function:
    """A user function compiled once: its argument validator and schema, how to call it, its docs.

    Attributes:
        summary: the docstring's description (text before the first section), or None.
        schema: the JSON Schema of the arguments (``Context`` parameters left out).
        context_params: names of the parameters that receive the request :class:`Context`.
        return_type: the resolved return annotation (``inspect.Signature.empty`` when missing).
    """

    __slots__ = (
        "_arguments",
        "context_params",
        "fn",
        "in_thread",
        "is_async",
        "name",
        "return_type",
        "summary",
        "validate",
        "wants_context",
    )

    def __init__(
        self,
        fn: Callable[..., Any],
        name: str,
        *,
        input_schema: Mapping[str, Any] | None = None,
        exclude_args: tuple[str, ...] = (),
        sync_to_thread: bool = True,
    ) -> None:
        target = inspect.unwrap(fn)
        self.fn = fn
        self.name = name
        self.is_async = inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(
            getattr(fn, "__call__", None)  # noqa: B004 - async callable objects
        )
        # A sync function runs in the worker pool unless declared non-blocking: the hop to a thread and
        # back is most of the cost of a call to a function that computes in microseconds.
        self.in_thread = sync_to_thread and not self.is_async
        self.summary, param_docs = parse_docstring(inspect.getdoc(target))
        self._arguments: ArgumentsModel | _RawArguments
        if input_schema is None:
            self._arguments, self.context_params = signature_schema(
                target, name=name, param_docs=param_docs, skip=is_context, exclude=frozenset(exclude_args)
            )
        else:
            # The function takes what the published schema describes, **kwargs included.
            self._arguments = _RawArguments(dict(input_schema))
            hints = typing.get_type_hints(target)
            self.context_params = [p for p, hint in hints.items() if p != "return" and is_context(hint)]
        self.return_type: Any = inspect.signature(target).return_annotation
        if isinstance(self.return_type, str):  # postponed annotations
            self.return_type = typing.get_type_hints(target).get("return", Any)
        self.wants_context = bool(self.context_params)
        # validate(arguments): the keyword arguments for a call (raises pydantic.ValidationError). Bound
        # once to the validator's quickest form: every call of a tool goes through it.
        self.validate: Callable[[Mapping[str, Any]], dict[str, Any]] = (
            self._arguments.validator
            if isinstance(self._arguments, ArgumentsModel)
            else self._arguments.validate
        )

    @property
    def schema(self) -> dict[str, Any]:
        return self._arguments.schema

    async def call(self, kwargs: dict[str, Any], ctx: Context | None, timeout: float | None = None) -> Any:
        """Call with validated ``kwargs`` (plus the context); sync functions run in the worker pool, or on
        the event loop when declared with ``sync_to_thread=False`` (no timeout applies to those).

        Raises whatever the function raises (its own ``TimeoutError`` included), and :class:`CallTimedOut`
        when ``timeout`` seconds pass first.
        """
        for param in self.context_params:
            kwargs[param] = ctx
        if self.is_async:
            if timeout is None:
                return await self.fn(**kwargs)
            return await _bounded(_tag_timeouts(self.fn(**kwargs)), timeout)
        if not self.in_thread:
            return self.fn(**kwargs)
        call = functools.partial(contextvars.copy_context().run, self.fn, **kwargs)
        future = thread_pool().submit(call)
        if timeout is None:
            return await future
        # The thread cannot be interrupted; the caller gets its answer on time and the thread finishes alone.
        return await _bounded(_tag_timeouts(future), timeout)

    async def run_or_refuse(
        self,
        arguments: Mapping[str, Any],
        ctx: Context | None,
        what: str,
        failed: str,
        *,
        expose_errors: bool,
        error_data: Any = None,
    ) -> Any:
        """Validate and call, for prompts and resources, whose failures are JSON-RPC errors.

        Bad arguments are -32602 (``describe_validation_error`` text, ``error_data`` as its data); an
        exception from the function (other than a deliberate ProtocolError) is logged and answered as -32603
        ``failed`` (with the exception's text when ``expose_errors``).
        """
        try:
            kwargs = self.validate(arguments)
        except pydantic.ValidationError as exc:
            text = describe_validation_error(what, self.name, exc)
            raise ProtocolError(rpc.INVALID_PARAMS, text, data=error_data) from None
        try:
            return await self.call(kwargs, ctx)
        except ProtocolError:
            raise
        except Exception as exc:
            logger.exception("%s %r raised: %s", what, self.name, failed)
            detail = f": {exc}" if expose_errors else ""
            raise ProtocolError(rpc.INTERNAL_ERROR, f"{failed}{detail}") from None


class CallTimedOut(Exception):
    """The call did not finish within its timeout (as opposed to the function raising TimeoutError)."""


class _RaisedTimeout(Exception):
    """Carries a TimeoutError the function itself raised past ``wait_for``, which would look like ours."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(str(original))
        self.original = original


async def _tag_timeouts(awaitable: Any) -> Any:
    try:
        return await awaitable
    except (asyncio.TimeoutError, TimeoutError) as exc:
        raise _RaisedTimeout(exc) from None


async def _bounded(awaitable: Any, timeout: float) -> Any:
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except (asyncio.TimeoutError, TimeoutError):
        raise CallTimedOut(f"no answer within {timeout:g} s") from None
    except _RaisedTimeout as tagged:
        raise tagged.original from None


def function_name(fn: Callable[..., Any], explicit: str | None) -> str:
    """The registered name: the explicit one, else the function's ``__name__`` (lambdas need one)."""
    name = explicit or getattr(inspect.unwrap(fn), "__name__", None)
    if not name or name == "<lambda>":
        raise RegistrationError(f"{fn!r} has no usable name; pass name=...")
    return name
