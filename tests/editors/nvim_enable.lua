-- Neovim 0.11+'s own way: vim.lsp.enable('manyeyes') finds lsp/manyeyes.lua on 'runtimepath', no setup() call;
-- then :checkhealth manyeyes.
-- Run by tests/editors/test_nvim.py with MANYEYES_PLUGIN, MANYEYES_PYTHON, MANYEYES_FILE and MANYEYES_OUT set.


local here = debug.getinfo(1, 'S').source:sub(2):match('(.*/)')
dofile(here .. 'nvim_harness.lua')(function(out)
  vim.opt.runtimepath:prepend(os.getenv('MANYEYES_PLUGIN'))
  vim.lsp.config('manyeyes', { cmd = { os.getenv('MANYEYES_PYTHON'), '-m', 'manyeyes', 'lsp' } })
  vim.lsp.enable('manyeyes')
  vim.cmd('edit ' .. os.getenv('MANYEYES_FILE'))
  local bufnr = vim.api.nvim_get_current_buf()
  local function client()
    for _, c in ipairs(vim.lsp.get_clients({ bufnr = bufnr, name = 'manyeyes' })) do
      if c.initialized then return c end
    end
  end
  assert(vim.wait(20000, function() return client() ~= nil end, 50), 'vim.lsp.enable did not start the server')
  out.root_dir = client().config.root_dir
  out.board_handler = client().config.handlers['manyeyes/board'] ~= nil
  local manyeyes = require('manyeyes')
  manyeyes.review()
  assert(vim.wait(60000, function()
    local board = manyeyes.last_board()
    return board ~= nil and board.done
  end, 50), 'the review did not finish')
  out.board_message = manyeyes.last_board().message
  out.clients = #vim.lsp.get_clients({ name = 'manyeyes' }) -- the review reused the enabled client
  vim.cmd('checkhealth manyeyes')
  out.health = vim.api.nvim_buf_get_lines(0, 0, -1, false)
end)
