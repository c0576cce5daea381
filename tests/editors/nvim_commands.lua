-- The plugin as a plugin manager loads it: on 'runtimepath' when Neovim starts (plugin/manyeyes.lua sourced), no
-- setup() call. :Manyeyes is there and completes, the <Plug> mappings exist, and `:Manyeyes review` starts the
-- server (`manyeyes lsp` from PATH, the default) at the project's root and reviews the file.
-- Run by tests/editors/test_nvim.py with `--cmd 'set rtp^=PLUGIN'`, MANYEYES_FILE and MANYEYES_OUT set.


local here = debug.getinfo(1, 'S').source:sub(2):match('(.*/)')
dofile(here .. 'nvim_harness.lua')(function(out)
  out.command = vim.fn.exists(':Manyeyes') == 2
  out.subcommands = vim.fn.getcompletion('Manyeyes ', 'cmdline')
  out.plug = {}
  for _, name in ipairs({ 'review', 'review-changes', 'cancel', 'board' }) do
    out.plug[name] = vim.fn.maparg('<Plug>(manyeyes-' .. name .. ')', 'n') ~= ''
  end
  out.plug_visual = vim.fn.maparg('<Plug>(manyeyes-refactor)', 'x') ~= ''
  vim.cmd('edit ' .. os.getenv('MANYEYES_FILE'))
  vim.cmd('Manyeyes review')
  local manyeyes = require('manyeyes')
  assert(vim.wait(60000, function()
    local board = manyeyes.last_board()
    return board ~= nil and board.done
  end, 50), 'the review did not finish')
  out.board_message = manyeyes.last_board().message
  local clients = vim.lsp.get_clients and vim.lsp.get_clients({ name = 'manyeyes' }) or vim.lsp.buf_get_clients(0)
  for _, c in pairs(clients) do
    out.root_dir = c.config.root_dir
  end
  out.goals = vim.fn.getcompletion('Manyeyes refactor ', 'cmdline')
end)
