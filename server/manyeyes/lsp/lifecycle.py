"""Session set-up and document life: initialize, settings from the editor, open/change/save/close.

Settings arrive as `initializationOptions` ({"settings": {...}, "trusted": bool}), from `workspace/configuration`
(section "manyeyes") and on `workspace/didChangeConfiguration`; they merge with the engine's sources in its
documented order, the editor's values last. A settings change re-filters what is already known at once.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import threading
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path

from manyeyes.lsp import diagnostics, reviews
from manyeyes.vocabulary import ReviewKind

log = logging.getLogger(__name__)
CONCERNS_COMMAND = "manyeyes.concerns"
HEALTH_COMMAND = "manyeyes.health"
SAVE_DEBOUNCE_S = 0.5
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def register(server) -> None:
    pending_saves: dict[str, asyncio.TimerHandle] = {}

    @server.feature(types.INITIALIZE)
    def initialize(ls, params: types.InitializeParams):
        session = ls.session
        session.workspace = _workspace_root(params)
        options = params.initialization_options if isinstance(params.initialization_options, dict) else {}
        session.trusted = options.get("trusted", True) is not False
        session.pull_diagnostics = diagnostics.client_pulls(params.capabilities)
        session.initial_settings = editor_settings(options.get("settings"))
        # merged at `initialized`, with the editor's configuration: the answer here does not wait for pydantic

    @server.feature(types.INITIALIZED)
    async def initialized(ls, params: types.InitializedParams):
        await pull_configuration(ls)
        if not ls.session.settings.offline:
            _preload_litellm()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def configuration_changed(ls, params: types.DidChangeConfigurationParams):
        settings = params.settings.get("manyeyes") if isinstance(params.settings, dict) else None
        if isinstance(settings, dict):
            ls.session.configured_settings = editor_settings(settings)
        await pull_configuration(ls)
        for uri in list(ls.session.files):
            diagnostics.publish(ls, uri)  # min severity, max findings: re-filtered, no model call

    @server.command(CONCERNS_COMMAND)
    def concerns(ls, *args):
        """The concerns reviews here know, for the editors' pickers and boards: a project's own included, so a
        new one needs no client release."""
        return concerns_json(ls.session)

    @server.command(HEALTH_COMMAND)
    async def health(ls, *args):
        """What `:checkhealth manyeyes` shows: the server's Python, the model (or the offline panel) and whether
        its key is there, and the last review error. Checking keys may import litellm: off the event loop."""
        return await asyncio.to_thread(health_json, ls.session)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls, params: types.DidChangeTextDocumentParams):
        uri = params.text_document.uri
        for running in ls.session.runs_for(uri):
            if running.lines is None or _touches(params.content_changes, running.lines):
                reviews.cancel(ls, running.review_id)  # what it reviews is no longer the document's text

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls, params: types.DidSaveTextDocumentParams):
        if not ls.session.settings.review_on_save:
            return
        uri = params.text_document.uri
        if uri in pending_saves:
            pending_saves.pop(uri).cancel()
        loop = asyncio.get_running_loop()
        pending_saves[uri] = loop.call_later(SAVE_DEBOUNCE_S, _start_saved_review, ls, uri, pending_saves)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls, params: types.DidCloseTextDocumentParams):
        uri = params.text_document.uri
        for running in ls.session.runs_for(uri):
            reviews.cancel(ls, running.review_id)
        diagnostics.clear(ls, uri)


def health_json(session) -> dict:
    from manyeyes import __version__
    from manyeyes.llm.keys import missing_key

    settings = session.settings
    models = sorted(settings.all_models())
    return {
        "version": __version__,
        "python": sys.version.split()[0],
        "workspace": str(session.workspace) if session.workspace else None,
        "trusted": session.trusted,
        "models": models,  # empty: the offline panel reviews
        "keyProblems": [problem for model in models if (problem := missing_key(settings, model))],
        "lastError": session.last_error,
    }


def concerns_json(session) -> dict:
    registry = session.concerns()
    running = {spec.name for spec in registry.enabled(session.settings)}
    listed = [
        {
            "name": spec.name.value,
            "description": spec.description,
            "builtIn": spec.built_in,
            "enabled": spec.name in running,
            "refactorGoal": spec.refactor_goal is not None,
            "source": spec.source,
        }
        for spec in registry.specs.values()
    ]
    return {"concerns": listed, "notes": registry.notes}


def _start_saved_review(server, uri: str, pending: dict) -> None:
    pending.pop(uri, None)
    asyncio.get_running_loop().create_task(_review_saved(server, uri))


async def _review_saved(server, uri: str) -> None:
    try:
        await reviews.start_review(server, [uri], ReviewKind.files)
    except Exception as exc:  # a review on save that cannot start is logged, never a popup
        log.warning("review on save of %s did not start: %s", uri, exc)


async def pull_configuration(server) -> None:
    """Ask the editor for the "manyeyes" section when it can answer; merge; warn once per problem."""
    capabilities = server.client_capabilities
    if capabilities.workspace and capabilities.workspace.configuration:
        try:
            answer = await server.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section="manyeyes")])
            )
            if answer and isinstance(answer[0], dict):
                server.session.configured_settings = editor_settings(answer[0])
        except Exception as exc:
            log.warning("workspace/configuration failed: %s", exc)
    _warn(server, server.session.reload_settings(), show=True)


def editor_settings(raw) -> dict:
    """Editor settings with camelCase keys (VS Code style) as the engine's snake_case; non-dicts are ignored."""
    if not isinstance(raw, dict):
        return {}
    return {_CAMEL.sub("_", key).lower().replace("-", "_"): value for key, value in raw.items() if value is not None}


def _workspace_root(params: types.InitializeParams) -> Path | None:
    uri = params.workspace_folders[0].uri if params.workspace_folders else params.root_uri
    if uri:
        return Path(to_fs_path(uri))
    return Path(params.root_path) if params.root_path else None


def _touches(changes, lines: tuple[int, int]) -> bool:
    for change in changes:
        change_range = getattr(change, "range", None)
        if change_range is None or change_range.start.line + 1 <= lines[1]:
            return True  # a whole-document change, or one at or above the selection (it shifts the selection)
    return False


def _warn(server, warnings: list[str], show: bool) -> None:
    """Settings problems: logged always, shown to the user once each (they are the user's to fix)."""
    for warning in warnings:
        log.warning("settings: %s", warning)
        if show:
            reviews.show_once(server, f"manyeyes settings: {warning}")


def _preload_litellm() -> None:
    """Import litellm in the background once a model is configured, so the first review does not wait for it."""
    from manyeyes.llm.loader import load_litellm

    threading.Thread(target=load_litellm, name="manyeyes-litellm-preload", daemon=True).start()
