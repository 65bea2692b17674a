/** `ekort token list`: the security tokens connected over USB HID (their OTP interfaces). */
import { type HidTokenDescriptor, NodeHidTransport } from '../token/index.ts';
import { printJson, type CliIo } from './cliContext.ts';
import type { Handler } from './commandSpec.ts';
import type { Input } from './commands.ts';

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

export function describeToken(d: HidTokenDescriptor): string {
  const name = d.product ?? 'security token';
  return `${d.path}  ${hex4(d.vendorId)}:${hex4(d.productId)}  ${name}${d.serial ? `  serial ${d.serial}` : ''}`;
}

/** The command over a given transport (tests pass one with a fake node-hid module). */
export function tokenListCommand(transport: () => Pick<NodeHidTransport, 'devices'>): Handler {
  return async ({ values }: Input<'token list'>, io: CliIo) => {
    const tokens = transport().devices();
    if (values.json) printJson(io, { tokens });
    else if (tokens.length === 0) io.out('no security tokens connected');
    else for (const t of tokens) io.out(describeToken(t));
    return 0;
  };
}

/** `ekort token list [--json]` over the real node-hid binding. */
export const tokenList: Handler = tokenListCommand(() => new NodeHidTransport());
