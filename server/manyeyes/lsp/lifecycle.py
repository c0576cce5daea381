"""Session set-up and document life: initialize, workspace folders, settings from the editor, open/change/save/
close.

Settings arrive as `initializationOptions` ({"settings": {...}, "trusted": bool}), from `workspace/configuration`
(section "manyeyes", asked once per workspace folder with its URI as the scope, and once unscoped for files in no
folder) and on `workspace/didChangeConfiguration`; each folder merges them with its own project files in the
engine's documented order, the editor's values last. A settings change re-filters what is already known at once.
Folders come and go with `workspace/didChangeWorkspaceFolders`: a removed folder's reviews stop, its findings go.
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

from manyeyes.lsp import diagnostics, jobs, reviews
from manyeyes.lsp.client import ClientFeatures
from manyeyes.lsp.server import ManyeyesServer
from manyeyes.lsp.session import file_path
from manyeyes.vocabulary import ReviewKind

log = logging.getLogger(__name__)
CONCERNS_COMMAND = "manyeyes.concerns"
HEALTH_COMMAND = "manyeyes.health"
SAVE_DEBOUNCE_S = 0.5
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def register(server: ManyeyesServer) -> None:
    pending_saves: dict[str, asyncio.TimerHandle] = {}

    @server.feature(types.INITIALIZE)
    def initialize(ls: ManyeyesServer, params: types.InitializeParams):
        session = ls.session
        session.set_folders(_workspace_roots(params))
        options = params.initialization_options if isinstance(params.initialization_options, dict) else {}
        session.trusted = options.get("trusted", True) is not False
        session.features = ClientFeatures.of(params.capabilities)
        session.initial_settings = editor_settings(options.get("settings"))
        # merged at `initialized`, with the editor's configuration: the answer here does not wait for pydantic

    @server.feature(types.INITIALIZED)
    async def initialized(ls: ManyeyesServer, params: types.InitializedParams):
        await pull_configuration(ls)
        if any(not ls.session.settings_for(folder).offline for folder in ls.session.active_folders()):
            _preload_litellm()

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    async def folders_changed(ls: ManyeyesServer, params: types.DidChangeWorkspaceFoldersParams):
        session = ls.session
        removed = {_root(f.uri) for f in params.event.removed or []}
        added = [root for f in params.event.added or [] if (root := _root(f.uri)) is not None]
        kept = [f.root for f in session.folders if f.root not in removed]
        for folder in session.set_folders([*kept, *added]):
            _forget(ls, folder)
        await pull_configuration(ls)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def configuration_changed(ls: ManyeyesServer, params: types.DidChangeConfigurationParams):
        settings = params.settings.get("manyeyes") if isinstance(params.settings, dict) else None
        if isinstance(settings, dict):  # the window's values; each folder's are asked for again below
            ls.session.configured_settings = editor_settings(settings)
        await pull_configuration(ls)
        for uri in list(ls.session.files):
            diagnostics.publish(ls, uri)  # min severity, max findings: re-filtered, no model call

    @server.command(CONCERNS_COMMAND)
    async def concerns(ls: ManyeyesServer, *args):
        """The concerns reviews know, for the editors' pickers and boards: a project's own included, so a new one
        needs no client release. With a document or folder URI, that folder's; else the first folder's."""
        await ls.session.settled()
        return concerns_json(ls.session, _folder_argument(ls.session, args))

    @server.command(HEALTH_COMMAND)
    async def health(ls: ManyeyesServer, *args):
        """What `:checkhealth manyeyes` shows: the server's Python, the model (or the offline panel) and whether
        its key is there, and the last review error. Checking keys may import litellm: off the event loop."""
        return await asyncio.to_thread(health_json, ls.session)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ManyeyesServer, params: types.DidChangeTextDocumentParams):
        uri = params.text_document.uri
        for running in ls.session.runs_for(uri):
            if running.lines is None or _touches(params.content_changes, running.lines):
                ls.session.cancel(running.review_id)  # what it reviews is no longer the document's text

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: ManyeyesServer, params: types.DidSaveTextDocumentParams):
        uri = params.text_document.uri
        if not ls.session.settings_for(uri).review_on_save:
            return
        if uri in pending_saves:
            pending_saves.pop(uri).cancel()
        loop = asyncio.get_running_loop()
        pending_saves[uri] = loop.call_later(SAVE_DEBOUNCE_S, _start_saved_review, ls, uri, pending_saves)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ManyeyesServer, params: types.DidCloseTextDocumentParams):
        uri = params.text_document.uri
        for running in ls.session.runs_for(uri):
            ls.session.cancel(running.review_id)
        diagnostics.clear(ls, uri)


def health_json(session) -> dict:
    """The first folder's figures at the top (what a one-folder editor shows), every folder under "folders"."""
    from manyeyes import __version__

    folders = [_folder_health(session, folder) for folder in session.active_folders()]
    return {
        "version": __version__,
        "python": sys.version.split()[0],
        "trusted": session.trusted,
        **folders[0],
        "folders": folders,
        "lastError": session.last_error,
    }


def _folder_health(session, folder) -> dict:
    from manyeyes.llm.keys import missing_key

    settings = session.settings_for(folder)
    models = sorted(settings.all_models())
    return {
        "workspace": str(folder.root) if folder.root else None,
        "models": models,  # empty: the offline panel reviews
        "keyProblems": [problem for model in models if (problem := missing_key(settings, model))],
    }


def concerns_json(session, folder) -> dict:
    registry = session.concerns(folder)
    running = {spec.name for spec in registry.enabled(session.settings_for(folder))}
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


def _start_saved_review(server: ManyeyesServer, uri: str, pending: dict) -> None:
    pending.pop(uri, None)
    jobs.spawn(server, _review_saved(server, uri))


async def _review_saved(server: ManyeyesServer, uri: str) -> None:
    try:
        await reviews.start_review(server, [uri], ReviewKind.files)
    except Exception as exc:  # a review on save that cannot start is logged, never a popup
        log.warning("review on save of %s did not start: %s", uri, exc)


async def pull_configuration(server: ManyeyesServer) -> None:
    """Ask the editor for the "manyeyes" section, unscoped and for each folder, when it can answer; merge; warn
    once per problem."""
    session = server.session
    if session.features.configuration:
        folders = list(session.folders)
        items = [types.ConfigurationItem(section="manyeyes")]
        items += [types.ConfigurationItem(section="manyeyes", scope_uri=folder.uri) for folder in folders]
        try:
            answers = await server.workspace_configuration_async(types.ConfigurationParams(items=items))
        except Exception as exc:
            log.warning("workspace/configuration failed: %s", exc)
            answers = None
        if isinstance(answers, (list, tuple)) and len(answers) == len(items):
            session.configured_settings = editor_settings(answers[0])
            for folder, answer in zip(folders, answers[1:]):
                folder.configured = editor_settings(answer)
    _warn(server, session.reload_settings(), show=True)
    session.configured.set()


# What an editor keeps in the same section for its own client (VS Code: how to start the server, its log level and
# protocol trace); VS Code sends the whole section with every change. Not the server's settings, and no warning.
CLIENT_KEYS = frozenset({"server", "log_level", "trace"})


def editor_settings(raw) -> dict:
    """Editor settings with camelCase keys (VS Code style) as the engine's snake_case; non-dicts are ignored, and
    so are the client's own keys."""
    if not isinstance(raw, dict):
        return {}
    converted = {_CAMEL.sub("_", key).lower().replace("-", "_"): value for key, value in raw.items()}
    return {key: value for key, value in converted.items() if value is not None and key not in CLIENT_KEYS}


def _workspace_roots(params: types.InitializeParams) -> list[Path]:
    """Every workspace folder; a client that names none may still give one root (rootUri, then rootPath)."""
    if params.workspace_folders:
        return [root for folder in params.workspace_folders if (root := _root(folder.uri)) is not None]
    if params.root_uri:
        return [root] if (root := _root(params.root_uri)) is not None else []
    return [Path(params.root_path)] if params.root_path else []


def _root(uri: str) -> Path | None:
    from manyeyes.lsp.documents import file_uri_problem

    if file_uri_problem(uri):
        log.warning("workspace folder %s ignored: %s", uri[:200], file_uri_problem(uri))
        return None
    return Path(to_fs_path(uri))


def _folder_argument(session, args: tuple):
    """The folder a command's first argument (a document or folder URI) names; the first folder without one."""
    if args and isinstance(args[0], str) and args[0]:
        return session.folder_of(args[0])
    return session.folders[0] if session.folders else session.outside


def _forget(server: ManyeyesServer, folder) -> None:
    """A folder left the workspace: its reviews stop and its files' findings are withdrawn."""
    session = server.session
    for running in [r for r in session.runs.values() if r.folder is folder]:
        server.session.cancel(running.review_id)
    for uri in [uri for uri in session.files if session.folder_of(uri) is session.outside]:
        if folder.holds(file_path(uri)):  # no folder left holds it (a nested folder's parent keeps its files)
            diagnostics.clear(server, uri)


def _touches(changes, lines: tuple[int, int]) -> bool:
    for change in changes:
        change_range = getattr(change, "range", None)
        if change_range is None or change_range.start.line + 1 <= lines[1]:
            return True  # a whole-document change, or one at or above the selection (it shifts the selection)
    return False


def _warn(server: ManyeyesServer, warnings: list[str], show: bool) -> None:
    """Settings problems: logged always, shown to the user once each (they are the user's to fix)."""
    for warning in warnings:
        log.warning("settings: %s", warning)
        if show:
            jobs.show_once(server, f"manyeyes settings: {warning}")


def _preload_litellm() -> None:
    """Import litellm in the background once a model is configured, so the first review does not wait for it."""
    from manyeyes.llm.loader import load_litellm

    threading.Thread(target=load_litellm, name="manyeyes-litellm-preload", daemon=True).start()
