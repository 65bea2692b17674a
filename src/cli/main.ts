import { escapeLines } from '../text/index.ts';
import { EkortError } from '../errors.ts';
import { parse, printJson, UsageError, type CliIo } from './cliContext.ts';
import { COMMANDS } from './commands.ts';
import { closest, usageOf, type CommandSpec } from './commandSpec.ts';

const TABLE = new Map<string, CommandSpec>(Object.entries(COMMANDS) as Array<[string, CommandSpec]>);
/** The first words of two-word commands ("card" of "card info"). */
const NOUNS = new Set([...TABLE.keys()].filter((n) => n.includes(' ')).map((n) => n.split(' ')[0]!));

let usage: string | undefined;
/** `ekort --help`: made when asked for, not at every start (it lays out every command). */
export function fullUsage(): string {
  usage ??= `ekort: smart cards, security tokens and the e-kort service, from the terminal

Usage: ekort <command> [options]

${usageOf([...TABLE], true)}

Exit codes: 0 ok, 1 the operation failed (message on stderr, code in --json output), 2 usage error.`;
  return usage;
}

/** The usage of the commands `prefix` names ("pki" or "pki issue"). */
export function usageFor(prefix: string): string | undefined {
  const picked = [...TABLE].filter(([name]) => name === prefix || name.startsWith(`${prefix} `));
  return picked.length === 0 ? undefined : usageOf(picked, false);
}

const HELP = new Set(['--help', '-h']);

/**
 * Every line a command prints goes out with its control characters escaped (text from the
 * service or a file cannot drive the terminal); the line breaks a command writes stay.
 */
export function escapingIo(io: CliIo): CliIo {
  return { out: (line) => io.out(escapeLines(line)), err: (line) => io.err(escapeLines(line)), interrupted: io.interrupted };
}

/**
 * `args` checked against the command's declaration: every option known (else the nearest one
 * is suggested) and of its type, and as many positional arguments as it takes.
 */
export function checkArgs(spec: CommandSpec, args: string[]): { values: Record<string, unknown>; positionals: string[] } {
  for (const arg of args) {
    if (arg === '--') break;
    const option = /^--([^=]+)/.exec(arg)?.[1];
    if (option !== undefined && !Object.hasOwn(spec.options, option)) {
      const near = closest(option, Object.keys(spec.options));
      throw new UsageError(`Unknown option '--${option}'${near ? `; did you mean --${near}?` : ''}`);
    }
  }
  const parsed = parse(args, spec.options);
  const [min, max, missing] = spec.args ?? [0, 0];
  if (parsed.positionals.length < min) throw new UsageError(missing ?? `give ${min} argument${min === 1 ? '' : 's'}`);
  if (parsed.positionals.length > max) throw new UsageError(`unexpected argument "${parsed.positionals[max]}"`);
  return parsed;
}

function unknownCommand(argv: string[], name: string): string {
  const noun = argv[0] !== undefined && NOUNS.has(argv[0]) ? usageFor(argv[0]) : undefined;
  if (noun && name === argv[0]) return `ekort ${name}: which one?\n\n${noun}`;
  const near = closest(name, TABLE.keys());
  const hint = near ? `; did you mean "${near}"?` : '';
  if (noun) return `ekort: "${name}" is not a command${hint}\n\n${noun}`;
  return `ekort: unknown command "${name}"${hint}\n\n${fullUsage()}`;
}

export async function main(argv: string[], rawIo: CliIo): Promise<number> {
  const io = escapingIo(rawIo);
  const twoWords = argv[0] !== undefined && NOUNS.has(argv[0]) && argv[1] !== undefined && !HELP.has(argv[1]);
  const name = twoWords ? `${argv[0]} ${argv[1]}` : argv[0];
  const rest = argv.slice(twoWords ? 2 : 1);
  if (name === undefined || name === 'help' || HELP.has(name)) {
    io.out(fullUsage());
    return name === undefined ? 2 : 0;
  }
  const spec = TABLE.get(name);
  if (rest.some((a) => HELP.has(a)) && (spec || NOUNS.has(name))) {
    io.out(`Usage:\n${usageFor(name) ?? fullUsage()}`);
    return 0;
  }
  if (!spec) {
    io.err(unknownCommand(argv, name));
    return 2;
  }
  let input;
  try {
    input = checkArgs(spec, rest);
  } catch (error) {
    io.err(`ekort ${name}: ${(error as Error).message}\n\nUsage:\n${usageFor(name)}`);
    return 2;
  }
  try {
    const run = await spec.load();
    return await run(input, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`ekort ${name}: ${error.message}`);
      return 2;
    }
    const typed = error instanceof EkortError ? error : new EkortError('INTERNAL', (error as Error)?.message ?? String(error));
    io.err(`ekort ${name}: ${typed.message}`);
    if (input.values.json) printJson(io, { error: typed.toJSON() });
    return 1;
  }
}
