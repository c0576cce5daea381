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
    end
  end
end

return M
