/**
 * What a command declares about itself, and what the CLI makes of it: the usage text, the
 * option and argument checks, the "did you mean". The table of commands is commands.ts.
 */
import type { parseArgs, ParseArgsConfig } from 'node:util';
import type { CliIo } from './cliContext.ts';

export type Options = NonNullable<ParseArgsConfig['options']>;

/** What node:util parseArgs gives for `options`: the values and the positional arguments. */
export type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;

/** A command's code: it gets its arguments already checked against its declaration. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each handler types its input as Input<name>
export type Handler = (input: { values: any; positionals: string[] }, io: CliIo) => Promise<number>;

export interface CommandSpec<O extends Options = Options> {
  /** What follows the command's name in its usage line: options and arguments ("\n" starts a second line). */
  synopsis: string;
  /** What it does, for the usage (wrapped there). */
  summary: string;
  options: O;
  /** How many positional arguments it takes ([0, 0] unless given), and what to say when too few are given. */
  args?: readonly [min: number, max: number, missing?: string];
  /** A paragraph that opens a new part of the usage before this command. */
  part?: string;
  /** A remark shared by the commands next to each other that carry the same one; printed after the last. */
  note?: string;
  /** Loads the command's module (and only then what it imports: pcsclite, the service, pkijs...). */
  load: () => Promise<Handler>;
}

/** A table entry; `const O` keeps the option types literal, so a handler's Input<name> is exact. */
export function command<const O extends Options>(spec: CommandSpec<O>): CommandSpec<O> {
  return spec;
}

/** The command's handler, exported as `name` from the module `load` imports. */
export function handler<M>(load: () => Promise<M>, name: keyof M & string): () => Promise<Handler> {
  // A cast, because checking M[name] against Input<its command> would make the table's type depend on itself.
  return async () => (await load())[name] as Handler;
}

const SUMMARY_COLUMN = 44;
const WIDTH = 96;

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** One command's usage entry: name and synopsis, the summary in a column beside or under it. */
export function usageEntry(name: string, spec: Pick<CommandSpec, 'synopsis' | 'summary'>): string {
  const [first = '', ...more] = spec.synopsis.split('\n');
  const head = [`  ${name}${first ? ` ${first}` : ''}`, ...more.map((l) => `${' '.repeat(name.length + 3)}${l.trim()}`)];
  const summary = wrap(spec.summary, WIDTH - SUMMARY_COLUMN);
  const pad = ' '.repeat(SUMMARY_COLUMN);
  const last = head[head.length - 1]!;
  if (summary.length > 0 && last.length <= SUMMARY_COLUMN - 2) head[head.length - 1] = last.padEnd(SUMMARY_COLUMN) + summary.shift();
  return [...head, ...summary.map((l) => pad + l)].join('\n');
}

function noteLines(note: string): string {
  return wrap(note, WIDTH - SUMMARY_COLUMN)
    .map((l) => ' '.repeat(SUMMARY_COLUMN) + l)
    .join('\n');
}

/** The usage of `entries` in their order: parts, entries, and each run's note after its last entry. */
export function usageOf(entries: Array<[string, CommandSpec]>, withParts: boolean): string {
  const out: string[] = [];
  entries.forEach(([name, spec], i) => {
    if (withParts && spec.part) out.push('', ...wrap(spec.part, WIDTH - 2).map((l) => `  ${l}`));
    out.push(usageEntry(name, spec));
    const next = entries[i + 1]?.[1];
    if (spec.note && next?.note !== spec.note) out.push(noteLines(spec.note));
  });
  return out.join('\n');
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/** The known word closest to `word`, if it is close enough to be a typing mistake. */
export function closest(word: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(word, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}
