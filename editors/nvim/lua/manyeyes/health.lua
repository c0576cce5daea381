-- :checkhealth manyeyes: is the server there, does it start, which Neovim path the plugin takes.
local M = {}

local health = vim.health or require('health') -- 0.10+ has vim.health; 0.7 to 0.9 the `health` module
local start = health.start or health.report_start
local ok = health.ok or health.report_ok
local warn = health.warn or health.report_warn
local error = health.error or health.report_error

-- The command that starts the server: a running client's, else vim.lsp.config's (0.11+), else setup()'s.
local function server_cmd(clients)
  if clients[1] and type(clients[1].config.cmd) == 'table' then
    return clients[1].config.cmd
  end
  local configured = vim.lsp.config and vim.lsp.config.manyeyes
  if configured and type(configured.cmd) == 'table' then
    return configured.cmd
  end
  return require('manyeyes').lsp_config().cmd
end

local report_server -- below: what the running server says of itself

function M.check()
  start('manyeyes')
  local version = vim.version()
  local path = vim.fn.has('nvim-0.11') == 1 and 'vim.lsp.enable or setup()'
    or (vim.lsp.start and 'vim.lsp.start' or 'vim.lsp.start_client')
  ok(string.format('Neovim %d.%d.%d: the plugin starts the server with %s', version.major, version.minor,
    version.patch, path))
  local clients = vim.lsp.get_clients and vim.lsp.get_clients({ name = 'manyeyes' })
    or vim.tbl_filter(function(c) return c.name == 'manyeyes' end, vim.lsp.get_active_clients())
  local cmd = server_cmd(clients)
  local program = cmd[1]
  if vim.fn.executable(program) ~= 1 then
    error(program .. ' is not executable', {
      'Install the server: pip install manyeyes (or pip install . in a checkout)',
      "Or give its path: require('manyeyes').setup({ cmd = { '/path/to/manyeyes', 'lsp' } })",
    })
    return
  end
  local args = vim.list_extend(vim.list_slice(cmd, 1, #cmd - 1), { '--version' })
  local output = vim.fn.system(args)
  if vim.v.shell_error ~= 0 then
    error(table.concat(args, ' ') .. ' failed: ' .. vim.trim(output))
  else
    ok(vim.trim(output) .. ' (' .. vim.fn.exepath(program) .. ')')
  end
  if #clients == 0 then
    warn('no manyeyes client is running (open a file of one of its filetypes)')
  else
    for _, client in ipairs(clients) do
      ok('client ' .. client.id .. ' rooted at ' .. tostring(client.config.root_dir))
      report_server(client)
    end
  end
end

-- What the running server says of itself (`manyeyes.health`): its Python, the model or the offline panel, keys,
-- the last review that could not run.
report_server = function(client)
  local params = { command = 'manyeyes.health', arguments = {} }
  local answer = vim.fn.has('nvim-0.11') == 1 and client:request_sync('workspace/executeCommand', params, 15000)
    or client.request_sync('workspace/executeCommand', params, 15000)
  local health = answer and answer.result
  if type(health) ~= 'table' then
    warn('the server did not answer manyeyes.health: ' .. vim.inspect(answer and answer.err or 'timeout'))
    return
  end
  ok('server ' .. health.version .. ' on Python ' .. health.python
    .. (health.trusted and '' or ' (workspace not trusted: no project settings, no git)'))
  if #health.models == 0 then
    ok('no model configured: the offline panel reviews (bandit, ruff, radon, test gaps, secrets)')
  elseif #health.keyProblems == 0 then
    ok('models: ' .. table.concat(health.models, ', ') .. ' (keys found)')
  else
    for _, problem in ipairs(health.keyProblems) do
      warn(problem, { 'Set the variable in the environment Neovim starts the server with' })
    end
  end
  if health.lastError ~= nil and health.lastError ~= vim.NIL then
    warn('last error: ' .. health.lastError)
  end
end

return M
