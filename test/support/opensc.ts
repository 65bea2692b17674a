/**
 * OpenSC's opensc-tool as a peer in the tests: run it, and read the APDU exchanges it prints.
 */
import { execFile } from 'node:child_process';
import { findExecutable } from './pcscd.ts';

export interface Exchange {
  sw: string;
  data: string;
}

/** Runs opensc-tool; with -s, returns each response as { sw: '9000', data: 'AA BB ..' }. */
export async function openscTool(args: string[]): Promise<{ stdout: string; exchanges: Exchange[] }> {
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(findExecutable('opensc-tool')!, args, { timeout: 15_000, maxBuffer: 1 << 24 }, (e, out, err) =>
      e ? reject(new Error(`opensc-tool ${args.slice(0, 4).join(' ')}…: ${err || e.message}`)) : resolve(out),
    ),
  );
  return { stdout, exchanges: parseExchanges(stdout) };
}

/**
 * opensc-tool prints data as util_hex_dump_asc does: 16 "XX " per line then the ASCII; only
 * the last line may hold fewer, and lines after the first are padded to 48 columns.
 */
export function parseExchanges(stdout: string): Exchange[] {
  const out: Exchange[] = [];
  const lines = stdout.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^Received \(SW1=0x([0-9A-F]{2}), SW2=0x([0-9A-F]{2})\)/i.exec(lines[i]!);
    if (!m) continue;
    const dataLines: string[] = [];
    while (i + 1 < lines.length && lines[i + 1] !== '' && !/^(Sending|Received)/.test(lines[i + 1]!)) dataLines.push(lines[++i]!);
    const bytes: string[] = [];
    dataLines.forEach((line, k) => {
      const last = k === dataLines.length - 1;
      const n = !last ? 16 : k === 0 ? line.length / 4 : line.length - 48;
      bytes.push(...line.slice(0, 3 * n).trim().split(' ').filter(Boolean));
    });
    out.push({ sw: `${m[1]}${m[2]}`.toUpperCase(), data: bytes.join(' ') });
  }
  return out;
}

