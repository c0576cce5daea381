-- manyeyes: the commands and <Plug> mappings, there as soon as Neovim starts; setup() is optional (:help manyeyes).
if vim.g.loaded_manyeyes then
  return
end
vim.g.loaded_manyeyes = true
require('manyeyes').define_commands()
