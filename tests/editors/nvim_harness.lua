-- What every Neovim test script shares: run the steps, write what they saw as JSON to $MANYEYES_OUT (with the
-- error and its traceback when a step fails), and quit with the status test_nvim.py checks.
return function(steps)
  local out = {}
  local ok, err = xpcall(function() return steps(out) end, debug.traceback)
  if not ok then
    out.error = err
  end
  local file = io.open(os.getenv('MANYEYES_OUT'), 'w')
  file:write(vim.fn.json_encode(out))
  file:close()
  vim.cmd(ok and 'qall!' or 'cquit 1')
end
