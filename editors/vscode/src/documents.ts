// Which documents the editor sends to the server: the files it reviews, as the server lists them
// (manyeyes.plan.documents.reviewed_files, copied into the manifest's "reviewedFiles" and checked against the
// server by tests/editors/test_vscode_settings.py). Markdown, images and other prose never reach it.
// No `vscode` import here: the filters are plain objects, so they are tested without an editor.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const manifest = require('../package.json');

export interface ReviewedFiles {
  suffixes: string[];
  names: string[];
  prefixes: string[];
}

export interface FileFilter {
  scheme: 'file';
  pattern: string;
}

/** Document filters for the files the server reviews: by suffix, by whole name, by name prefix. */
export function documentSelector(reviewed: ReviewedFiles = manifest.reviewedFiles): FileFilter[] {
  const byName = [...reviewed.names, ...reviewed.prefixes.map((prefix) => `${prefix}*`)];
  return [
    { scheme: 'file', pattern: `**/*.{${reviewed.suffixes.join(',')}}` },
    { scheme: 'file', pattern: `**/{${byName.join(',')}}` },
  ];
}
