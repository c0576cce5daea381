// Which documents the editor sends to the server: the files it reviews, as the server lists them
// (manyeyes.plan.languages.reviewed_files, copied into the manifest's "reviewedFiles" and checked against the
// server by tests/editors/test_vscode_settings.py), and untitled documents in the languages it reviews. Markdown,
// images and other prose never reach it.
// No `vscode` import here: the filters are plain objects, so they are tested without an editor.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const manifest = require('../package.json');

export interface ReviewedFiles {
  suffixes: string[];
  names: string[];
  prefixes: string[];
  languageIds: string[];
}

export type Filter = { scheme: 'file'; pattern: string } | { scheme: 'untitled'; language: string };

/** Document filters for what the server reviews: files by suffix, by whole name, by name prefix; untitled
 * documents by their language. */
export function documentSelector(reviewed: ReviewedFiles = manifest.reviewedFiles): Filter[] {
  const byName = [...reviewed.names, ...reviewed.prefixes.map((prefix) => `${prefix}*`)];
  return [
    { scheme: 'file', pattern: `**/*.{${reviewed.suffixes.join(',')}}` },
    { scheme: 'file', pattern: `**/{${byName.join(',')}}` },
    ...reviewed.languageIds.map((language) => ({ scheme: 'untitled' as const, language })),
  ];
}
