-- End-to-end test of the Neovim plugin in a real, headless Neovim (0.7+). Run by tests/editors/test_nvim.py:
--   nvim --headless --clean -c 'luafile tests/editors/nvim_e2e.lua'
-- with MANYEYES_PLUGIN, MANYEYES_PYTHON, MANYEYES_FILE and MANYEYES_OUT set. Writes its observations as JSON.
-- MANYEYES_SETTINGS (JSON) are the server settings given to setup(); with them set (a model review against the
-- fake provider) the script reviews and shows the board, and leaves the quick fix and cancel to the offline run.
local settings = os.getenv('MANYEYES_SETTINGS') and vim.fn.json_decode(os.getenv('MANYEYES_SETTINGS')) or {}

local here = debug.getinfo(1, 'S').source:sub(2):match('(.*/)')
dofile(here .. 'nvim_harness.lua')(function(out)
  local version = vim.version()
  out.version = version.major .. '.' .. version.minor
  out.lsp_start = vim.lsp.start ~= nil -- which path the plugin takes: vim.lsp.start (0.8+) or start_client
  vim.opt.runtimepath:prepend(os.getenv('MANYEYES_PLUGIN'))
  local manyeyes = require('manyeyes')
  manyeyes.setup({ cmd = { os.getenv('MANYEYES_PYTHON'), '-m', 'manyeyes', 'lsp' }, notify = false,
    settings = settings })
  vim.cmd('edit ' .. os.getenv('MANYEYES_FILE'))
  local bufnr = vim.api.nvim_get_current_buf()
  local function client()
    local clients = vim.lsp.get_clients and vim.lsp.get_clients({ bufnr = bufnr }) or vim.lsp.buf_get_clients(bufnr)
    for _, c in pairs(clients) do
      if c.name == 'manyeyes' and c.initialized then return c end
    end
  end
  assert(vim.wait(20000, function() return client() ~= nil end, 50), 'the server did not start')
  out.offset_encoding = client().offset_encoding

  vim.cmd('ManyeyesReview')
  assert(vim.wait(60000, function()
    local board = manyeyes.last_board()
    return board ~= nil and board.done
  end, 50), 'the review did not finish')
  out.board_message = manyeyes.last_board().message
  out.agents = #manyeyes.last_board().agents
  if settings.model then
    out.board_lines = manyeyes.board_lines()
    out.refactor_goals = manyeyes.refactor_goals(bufnr) -- as :ManyeyesRefactor completes them, from the server
    vim.cmd('ManyeyesBoard') -- <CR> on the rejected finding's line (the last but one) opens it
    vim.api.nvim_win_set_cursor(0, { #out.board_lines - 1, 0 })
    vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('<CR>', true, false, true), 'x', false)
    out.opened = { file = vim.fn.expand('%:t'), line = vim.api.nvim_win_get_cursor(0)[1] }
    return
  end

  -- 0.7 and 0.10 take the diagnostics the server pushes before the board's last notification; 0.11+ pull them
  -- (textDocument/diagnostic) when the server asks for a refresh, which lands a moment after the board.
  vim.wait(10000, function() return #vim.diagnostic.get(bufnr) > 0 end, 50)
  local target
  out.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(out.diagnostics, { code = d.code, lnum = d.lnum, col = d.col, source = d.source })
    if d.code == 'E711' then target = d end
  end
  assert(target, 'no E711 diagnostic')

  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = { line = target.lnum, character = target.col },
              ['end'] = { line = target.end_lnum, character = target.end_col } },
    context = { diagnostics = {} },
  }
  local c = client() -- 0.11 made client methods take self
  local response = vim.fn.has('nvim-0.11') == 1 and c:request_sync('textDocument/codeAction', params, 10000, bufnr)
    or c.request_sync('textDocument/codeAction', params, 10000, bufnr)
  assert(response and response.result, 'no code actions')
  local fix
  for _, action in ipairs(response.result) do
    if action.edit and action.kind == 'quickfix' then fix = action end
  end
  assert(fix, 'no quick fix offered')
  out.fix_title = fix.title
  vim.lsp.util.apply_workspace_edit(fix.edit, client().offset_encoding)
  out.fixed_line = vim.api.nvim_buf_get_lines(bufnr, target.lnum, target.lnum + 1, false)[1]

  -- Dismiss the shell finding as a user does: the quick fix asks why (vim.ui.input, answered here as an input
  -- plugin would), and the finding goes.
  local shell
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.code == 'B602' then shell = d end
  end
  vim.ui.input = function(opts, on_confirm)
    out.dismiss_prompt = opts.prompt
    on_confirm('cmd is a constant here, never user input')
  end
  params.range = { start = { line = shell.lnum, character = shell.col },
                   ['end'] = { line = shell.end_lnum, character = shell.end_col } }
  response = vim.fn.has('nvim-0.11') == 1 and c:request_sync('textDocument/codeAction', params, 10000, bufnr)
    or c.request_sync('textDocument/codeAction', params, 10000, bufnr)
  local dismiss
  for _, action in ipairs(response.result) do
    if action.title:find('Dismiss', 1, true) then dismiss = action end
  end
  assert(dismiss, 'no Dismiss action')
  -- the command as Neovim's code action runs it: the client's own handler for it first
  local handler = c.commands[dismiss.command.command] or vim.lsp.commands[dismiss.command.command]
  assert(handler, 'the plugin has no handler for ' .. dismiss.command.command)
  handler(dismiss.command, { bufnr = bufnr, client_id = c.id })
  local record_file = vim.fn.fnamemodify(os.getenv('MANYEYES_FILE'), ':p:h') .. '/.manyeyes/suppressions.jsonl'
  local function first_record() -- the server creates the file, then writes the line: wait for the whole line
    local lines = vim.fn.filereadable(record_file) == 1 and vim.fn.readfile(record_file) or {}
    return lines[1] and lines[1]:sub(-1) == '}' and lines[1] or nil
  end
  assert(vim.wait(10000, function() return first_record() ~= nil end, 50), 'nothing recorded')
  out.dismiss_record = vim.fn.json_decode(first_record())

  vim.cmd('ManyeyesBoard')
  local win = vim.api.nvim_get_current_win()
  out.board_window = win == manyeyes.board() and vim.api.nvim_win_is_valid(win)
  out.board_lines = vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false)
  -- `x` on the first agent's line: the review is over, so the server answers that nothing was cancelled
  vim.api.nvim_win_set_cursor(win, { 2, 0 })
  vim.api.nvim_feedkeys('x', 'x', false)
  assert(vim.wait(5000, function() return manyeyes._last_cancel ~= nil end, 20), 'no answer to the agent cancel')
  out.cancel = manyeyes._last_cancel
  out.status = manyeyes.status()
end)
