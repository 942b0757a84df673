/** One tsc diagnostic (`--pretty false`): its file and its full text, continuation lines included. */
export interface TscDiagnostic {
  /** The file, relative to the project, e.g. `src/readme/store-redis.README.L27.ts`; "" for global ones. */
  readonly file: string;
  readonly text: string;
}

/** Splits tsc's `--pretty false` output into diagnostics; indented lines continue the previous one. */
export function parseTscOutput(output: string): TscDiagnostic[] {
  const diagnostics: { file: string; lines: string[] }[] = [];
  for (const line of output.split("\n")) {
    if (line.trim() === "") continue;
    const last = diagnostics[diagnostics.length - 1];
    if (/^\s/.test(line) && last !== undefined) {
      last.lines.push(line);
      continue;
    }
    const file = /^(.+?)\(\d+,\d+\): /.exec(line)?.[1] ?? "";
    diagnostics.push({ file, lines: [line] });
  }
  return diagnostics.map(({ file, lines }) => ({ file, text: lines.join("\n") }));
}
