-- manyeyes for Neovim: starts the manyeyes language server, adds the review commands, shows the agent board.
-- Works on Neovim 0.7 (vim.lsp.start_client) and 0.10+ (vim.lsp.start); on 0.11+ also through
-- vim.lsp.enable('manyeyes') (lsp/manyeyes.lua).

local M = {}

local defaults = {
  cmd = { 'manyeyes', 'lsp' },
  filetypes = {
    'python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact', 'go', 'rust', 'java', 'kotlin',
    'cs', 'php', 'ruby', 'c', 'cpp', 'lua', 'sh',
  },
  settings = {}, -- the server's settings (docs/configuration.md), camelCase or snake_case
  trusted = true, -- false: the server reads no project settings and runs no git
  notify = true, -- vim.notify when a review ends
}

local state = { config = nil, clients = {}, board = nil, board_client = nil, running = {} }

local ROOT_MARKERS = { '.git', 'pyproject.toml' }

-- The configuration: setup()'s, or the defaults when the commands are used without setup() (plugin/manyeyes.lua).
local function config()
  state.config = state.config or vim.deepcopy(defaults)
  return state.config
end

-- The buffer's project root: the nearest folder with a root marker (vim.fs.root on 0.10+; a search upwards on
-- 0.7), else the buffer's folder. The same markers as lsp/manyeyes.lua, so both ways find one client per root.
local function root_for(bufnr)
  local dir = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ':p:h')
  if vim.fs and vim.fs.root then
    return vim.fs.root(bufnr, ROOT_MARKERS) or dir
  end
  local nearest
  for _, marker in ipairs(ROOT_MARKERS) do -- the nearest folder holding any of them, as vim.fs.root finds it
    local found = vim.fn.findfile(marker, dir .. ';')
    found = found ~= '' and found or vim.fn.finddir(marker, dir .. ';')
    local root = found ~= '' and vim.fn.fnamemodify(found, ':p:h' .. (vim.fn.isdirectory(found) == 1 and ':h' or ''))
    if root and (not nearest or #root > #nearest) then
      nearest = root
    end
  end
  return nearest or dir
end

local function on_board(_, board, ctx)
  state.board, state.board_client = board, ctx and ctx.client_id
  if board.done then
    state.running[board.reviewId] = nil
    if config().notify then
      vim.notify('manyeyes: ' .. (board.message or 'done'), vim.log.levels.INFO)
    end
  else
    state.running[board.reviewId] = board
  end
  if M._board_win and vim.api.nvim_win_is_valid(M._board_win) then
    M.board()
  end
end

-- Sends a request: 0.11 made client methods take self (`client:request`); 0.7 to 0.10 take none.
local function request(client, method, params, handler, bufnr)
  if vim.fn.has('nvim-0.11') == 1 then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

-- The Dismiss quick fix asks why first (vim.ui.input, so an input plugin shows it its way): the server keeps the
-- reason with the dismissal and later reviews give it to the agents. Cancelling the prompt keeps the finding.
local function dismiss_with_reason(command, ctx)
  local args = command.arguments or {}
  vim.ui.input({ prompt = 'manyeyes: why is this not a problem here? ' }, function(reason)
    local client = reason ~= nil and vim.lsp.get_client_by_id(ctx.client_id)
    if not client then
      return
    end
    local params = { command = command.command, arguments = { args[1], args[2], vim.trim(reason) } }
    request(client, 'workspace/executeCommand', params, function(err)
      if err then
        vim.notify('manyeyes: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      end
    end, ctx.bufnr)
  end)
end

local function client_config(root)
  local options = config()
  return {
    name = 'manyeyes',
    cmd = options.cmd,
    root_dir = root,
    init_options = { settings = options.settings, trusted = options.trusted },
    settings = { manyeyes = options.settings },
    handlers = { ['manyeyes/board'] = on_board },
    commands = { ['manyeyes.dismiss'] = dismiss_with_reason },
    flags = { debounce_text_changes = 150 },
  }
end

-- The configuration lsp/manyeyes.lua gives vim.lsp.config (0.11+): the same client, found by root markers.
function M.lsp_config()
  local lsp = client_config(nil)
  lsp.filetypes = config().filetypes
  lsp.root_markers = ROOT_MARKERS
  return lsp
end

-- The client for a buffer's root, started once per root and attached to the buffer.
function M.attach(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local root = root_for(bufnr)
  if vim.lsp.start then
    local config = client_config(root)
    local id = vim.lsp.start(config, { bufnr = bufnr })
    state.clients[root] = id
    return id
  end
  local id = state.clients[root]
  if not id or not vim.lsp.get_client_by_id(id) then
    id = vim.lsp.start_client(client_config(root))
    state.clients[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
  return id
end

local function client_for(bufnr)
  local id = M.attach(bufnr)
  local client = id and vim.lsp.get_client_by_id(id)
  if not client then
    vim.notify('manyeyes: the language server did not start (is `manyeyes` on PATH? see :help manyeyes)',
      vim.log.levels.ERROR)
  end
  return client
end

local function execute(bufnr, command, arguments)
  local client = client_for(bufnr)
  if not client then
    return
  end
  request(client, 'workspace/executeCommand', { command = command, arguments = arguments }, function(err, result)
    if err then
      vim.notify('manyeyes: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    elseif result and result.reviewId then
      state.running[result.reviewId] = { reviewId = result.reviewId, agents = {} }
    end
  end, bufnr)
end

local function range_of(line1, line2, bufnr)
  local last = vim.api.nvim_buf_get_lines(bufnr, line2 - 1, line2, false)[1] or ''
  return { start = { line = line1 - 1, character = 0 }, ['end'] = { line = line2 - 1, character = #last } }
end

function M.review()
  local bufnr = vim.api.nvim_get_current_buf()
  execute(bufnr, 'manyeyes.review.file', { vim.uri_from_bufnr(bufnr) })
end

function M.review_selection(line1, line2)
  local bufnr = vim.api.nvim_get_current_buf()
  execute(bufnr, 'manyeyes.review.selection', { vim.uri_from_bufnr(bufnr), range_of(line1, line2, bufnr) })
end

-- The git changes of the current buffer's workspace folder (the server asks which one when it has several).
function M.review_changes()
  local bufnr = vim.api.nvim_get_current_buf()
  local named = vim.api.nvim_buf_get_name(bufnr) ~= '' and vim.bo[bufnr].buftype == ''
  execute(bufnr, 'manyeyes.review.changes', named and { vim.uri_from_bufnr(bufnr) } or {})
end

function M.refactor(line1, line2, goal)
  local bufnr = vim.api.nvim_get_current_buf()
  local arguments = { vim.uri_from_bufnr(bufnr), range_of(line1, line2, bufnr), (goal ~= '' and goal) or 'all' }
  execute(bufnr, 'manyeyes.refactor.selection', arguments)
end

function M.cancel()
  local bufnr = vim.api.nvim_get_current_buf()
  execute(bufnr, 'manyeyes.review.cancel', { vim.uri_from_bufnr(bufnr) })
end

-- The verification step under the agents: what it checked, then each finding it rejected and why (those are not
-- diagnostics, so this is where they can be read). Nothing when no verification ran.
local function verification_lines(board)
  local check = board.verification
  if not check or check == vim.NIL then
    return {}
  end
  local line = string.format('verification: %d checked, %d confirmed, %d rejected, %d tok $%.4f', check.checked,
    check.confirmed, #check.rejected, check.tokens, check.costUsd)
  local lines = { line .. table.concat(vim.tbl_map(function(e) return '  ' .. e end, check.errors), '') }
  for _, rejected in ipairs(check.rejected) do
    table.insert(lines, string.format('  rejected %s:%d %s: %s', rejected.path, rejected.line + 1, rejected.title,
      rejected.reason))
  end
  return lines
end

-- The board as lines of text: one line per agent, the verification step, then the totals.
function M.board_lines()
  local board = state.board
  if not board then
    return { 'manyeyes: no review yet (:ManyeyesReview)' }
  end
  local symbols = { queued = '·', running = '▸', done = '✓', failed = '✗', cancelled = '-', skipped = '-' }
  local phase = board.phase ~= vim.NIL and board.phase or nil -- e.g. 'verifying 3 finding(s)'
  local lines = { string.format('manyeyes %s  %d%%  %s', board.reviewId, board.percentage or 0,
    board.done and (board.message or 'done') or phase or 'running') }
  for _, agent in ipairs(board.agents or {}) do
    local line = string.format('%s %-11s %-30s %-9s %3d findings %7d tok $%.4f', symbols[agent.state] or '?',
      agent.concern, agent.target, agent.state, agent.findings or 0, agent.tokens or 0, agent.costUsd or 0)
    if agent.error and agent.error ~= vim.NIL then
      line = line .. '  ' .. agent.error
    end
    if (agent.vote or 1) > 1 then -- an extra vote of an escalated task, and why it runs
      local why = agent.escalated ~= vim.NIL and agent.escalated or nil
      line = line .. string.format('  vote %d', agent.vote) .. (why and (': ' .. why) or '')
    end
    if type(agent.instructions) == 'table' and #agent.instructions > 0 then -- the project's REVIEW.md and the like
      line = line .. '  instructions: ' .. table.concat(agent.instructions, ', ')
    end
    table.insert(lines, line)
  end
  vim.list_extend(lines, verification_lines(board))
  table.insert(lines, string.format('%d findings, %d tokens, $%.4f', board.findings or 0, board.tokens or 0,
    board.costUsd or 0))
  return lines
end

-- Stop one agent of the board's review (index as listed on the board, from 1); the others go on.
function M.cancel_agent(index)
  local board = state.board
  local agent = board and (board.agents or {})[index]
  local client = state.board_client and vim.lsp.get_client_by_id(state.board_client)
  if not agent or not client then
    vim.notify('manyeyes: no agent ' .. tostring(index) .. ' on the board', vim.log.levels.WARN)
    return
  end
  local params = { command = 'manyeyes.agent.cancel', arguments = { board.reviewId, agent.id } }
  request(client, 'workspace/executeCommand', params, function(err, result)
    if err then
      vim.notify('manyeyes: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    elseif not (result and result.cancelled) then
      vim.notify('manyeyes: the ' .. agent.concern .. ' agent is not running any more', vim.log.levels.INFO)
    end
    M._last_cancel = { agent = agent.id, cancelled = result and result.cancelled or false }
  end)
end

-- The agent under the cursor in the board window (line 1 is the header).
local function cancel_agent_under_cursor()
  M.cancel_agent(vim.api.nvim_win_get_cursor(0)[1] - 1)
end

-- The rejected finding under the cursor in the board window (its lines follow the agents' and the verification
-- line): closes the board and opens the finding's file at its line.
local function open_rejected_under_cursor()
  local board = state.board
  local check = board and board.verification
  if not check or check == vim.NIL then
    return
  end
  local rejected = check.rejected[vim.api.nvim_win_get_cursor(0)[1] - 2 - #(board.agents or {})]
  if not rejected then
    return
  end
  vim.cmd('close')
  vim.cmd('edit ' .. vim.fn.fnameescape(vim.uri_to_fname(rejected.uri)))
  vim.api.nvim_win_set_cursor(0, { rejected.line + 1, 0 })
end

-- A floating window with the board; `q` closes it, `x` cancels the agent under the cursor, <CR> on a rejected
-- finding opens it. `opts.focus` moves the cursor into it (the command does; refreshes while a review runs do
-- not).
function M.board(opts)
  local lines = M.board_lines()
  local width = 20
  for _, line in ipairs(lines) do
    width = math.max(width, vim.fn.strdisplaywidth(line))
  end
  local buf = M._board_buf
  if not buf or not vim.api.nvim_buf_is_valid(buf) then
    buf = vim.api.nvim_create_buf(false, true)
    M._board_buf = buf
    vim.api.nvim_buf_set_keymap(buf, 'n', 'q', '<cmd>close<cr>', { noremap = true, silent = true })
    vim.api.nvim_buf_set_keymap(buf, 'n', 'x', '', { noremap = true, silent = true,
      callback = cancel_agent_under_cursor })
    vim.api.nvim_buf_set_keymap(buf, 'n', '<CR>', '', { noremap = true, silent = true,
      callback = open_rejected_under_cursor })
  end
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  local options = { relative = 'editor', width = math.min(width, vim.o.columns - 4),
    height = math.min(#lines, vim.o.lines - 4), row = 1, col = 2, style = 'minimal', border = 'rounded' }
  if M._board_win and vim.api.nvim_win_is_valid(M._board_win) then
    vim.api.nvim_win_set_config(M._board_win, options)
  else
    M._board_win = vim.api.nvim_open_win(buf, false, options)
  end
  if opts and opts.focus then
    vim.api.nvim_set_current_win(M._board_win)
  end
  return M._board_win
end

-- The latest board the server sent (see docs/lsp.md), or nil.
function M.last_board()
  return state.board
end

-- For a statusline: "manyeyes 3/4" while agents run, "" otherwise.
function M.status()
  for _, board in pairs(state.running) do
    local done, total = 0, #(board.agents or {})
    for _, agent in ipairs(board.agents or {}) do
      if agent.state ~= 'queued' and agent.state ~= 'running' then
        done = done + 1
      end
    end
    return string.format('manyeyes %d/%d', done, total)
  end
  return ''
end

-- The manyeyes client attached to a buffer, however it was started (setup() or vim.lsp.enable), or nil.
local function attached_client(bufnr)
  local clients = vim.lsp.get_clients and vim.lsp.get_clients({ bufnr = bufnr }) or vim.lsp.buf_get_clients(bufnr)
  for _, client in pairs(clients) do
    if client.name == 'manyeyes' then
      return client
    end
  end
end

-- The refactor goals the server offers: 'all', then each running concern that is a refactor goal (a project's own
-- included: the server lists them, `manyeyes.concerns`); the built-in four when no server answers.
function M.refactor_goals(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local goals = { 'all' }
  local client = attached_client(bufnr)
  local params = { command = 'manyeyes.concerns', arguments = { vim.uri_from_bufnr(bufnr) } } -- its folder's
  local answer = client and (vim.fn.has('nvim-0.11') == 1 and client:request_sync('workspace/executeCommand', params,
    2000, bufnr) or client.request_sync('workspace/executeCommand', params, 2000, bufnr))
  local listed = answer and answer.result and answer.result.concerns
  for _, concern in ipairs(type(listed) == 'table' and listed or {}) do
    if concern.enabled and concern.refactorGoal then
      table.insert(goals, concern.name)
    end
  end
  if #goals == 1 then
    vim.list_extend(goals, { 'security', 'performance', 'readability', 'tests' })
  end
  return goals
end

-- :Manyeyes {review|selection|changes|refactor|cancel|board}: one command, completed, for the whole plugin.
local SUBCOMMANDS = {
  review = function() M.review() end,
  selection = function(a) M.review_selection(a.line1, a.line2) end,
  changes = function() M.review_changes() end,
  refactor = function(a, rest) M.refactor(a.line1, a.line2, rest or '') end,
  cancel = function() M.cancel() end,
  board = function() M.board({ focus = true }) end,
}

local function complete(lead, line)
  local words = vim.split(line, '%s+', { trimempty = true })
  local choices = #words >= 2 and words[2] == 'refactor' and (#words > 2 or lead == '') and M.refactor_goals()
    or vim.tbl_keys(SUBCOMMANDS)
  table.sort(choices)
  return vim.tbl_filter(function(choice) return choice:find(lead, 1, true) == 1 end, choices)
end

-- The user commands and <Plug> mappings, defined by plugin/manyeyes.lua when Neovim starts (so nothing waits for
-- setup()), and again by setup() for a runtimepath added later. Idempotent.
function M.define_commands()
  local command = vim.api.nvim_create_user_command
  command('Manyeyes', function(a)
    local name, rest = a.args:match('^(%S+)%s*(.*)$')
    local run = SUBCOMMANDS[name or '']
    if not run then
      vim.notify('manyeyes: :Manyeyes ' .. table.concat(vim.tbl_keys(SUBCOMMANDS), '|'), vim.log.levels.ERROR)
      return
    end
    run(a, rest)
  end, { nargs = '+', range = true, complete = complete, desc = 'manyeyes: review, refactor, cancel, board' })
  command('ManyeyesReview', M.review, { desc = 'manyeyes: review the current file' })
  command('ManyeyesReviewSelection', function(a) M.review_selection(a.line1, a.line2) end,
    { range = true, desc = 'manyeyes: review the selected lines' })
  command('ManyeyesReviewChanges', M.review_changes, { desc = 'manyeyes: review the git changes' })
  command('ManyeyesRefactor', function(a) M.refactor(a.line1, a.line2, a.args) end,
    { range = true, nargs = '?', desc = 'manyeyes: refactor the selected lines (goal: all or a concern)',
      complete = function(lead)
        return vim.tbl_filter(function(goal) return goal:find(lead, 1, true) == 1 end, M.refactor_goals())
      end })
  command('ManyeyesCancel', M.cancel, { desc = 'manyeyes: cancel the running review' })
  command('ManyeyesBoard', function() M.board({ focus = true }) end,
    { desc = 'manyeyes: show the agent board (x cancels the agent under the cursor)' })
  local map = vim.keymap.set
  map('n', '<Plug>(manyeyes-review)', M.review, { desc = 'manyeyes: review the file' })
  map('n', '<Plug>(manyeyes-review-changes)', M.review_changes, { desc = 'manyeyes: review the git changes' })
  map('n', '<Plug>(manyeyes-cancel)', M.cancel, { desc = 'manyeyes: cancel the review' })
  map('n', '<Plug>(manyeyes-board)', function() M.board({ focus = true }) end, { desc = 'manyeyes: the board' })
  map('x', '<Plug>(manyeyes-review-selection)', ':ManyeyesReviewSelection<CR>', { silent = true })
  map('x', '<Plug>(manyeyes-refactor)', ':ManyeyesRefactor<CR>', { silent = true })
end

-- Optional: settings for the server, and the server started for every buffer of `filetypes` as it opens. Without
-- it the commands still work (they start the server on first use), and on 0.11+ vim.lsp.enable('manyeyes') does.
function M.setup(opts)
  state.config = vim.tbl_deep_extend('force', defaults, opts or {})
  local group = vim.api.nvim_create_augroup('manyeyes', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = state.config.filetypes,
    callback = function(args) M.attach(args.buf) end,
  })
  M.define_commands()
end

return M
