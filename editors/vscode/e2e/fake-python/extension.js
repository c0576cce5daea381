// Test only: stands in for the Python extension (ms-python.python) in the end-to-end test, with the part of its
// `environments` API manyeyes uses. The active environment starts as $MANYEYES_E2E_PYTHON_ENV; the test command
// `fakePython.select` switches it, as a user picking another interpreter does, and fires the change event.
const vscode = require('vscode');

exports.activate = function activate(context) {
  let active = process.env.MANYEYES_E2E_PYTHON_ENV;
  const changed = new vscode.EventEmitter();
  context.subscriptions.push(vscode.commands.registerCommand('fakePython.select', (python) => {
    active = python;
    changed.fire({ id: python, path: python, resource: undefined });
  }));
  return {
    environments: {
      getActiveEnvironmentPath: () => ({ id: active, path: active }),
      resolveEnvironment: async (environment) => {
        const where = typeof environment === 'string' ? environment : environment.path;
        return { executable: { uri: vscode.Uri.file(where), bitness: '64-bit', sysPrefix: '' } };
      },
      onDidChangeActiveEnvironmentPath: changed.event,
    },
  };
};
