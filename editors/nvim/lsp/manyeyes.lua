-- Neovim 0.11+: `vim.lsp.enable('manyeyes')` finds this file on 'runtimepath' and starts the server for the
-- filetypes below, rooted at the nearest .git or pyproject.toml. Override any field first with
-- `vim.lsp.config('manyeyes', { cmd = { '/path/to/manyeyes', 'lsp' }, settings = { manyeyes = { ... } } })`.
-- The review commands and the agent board come from require('manyeyes') (:help manyeyes).
return require('manyeyes').lsp_config()
