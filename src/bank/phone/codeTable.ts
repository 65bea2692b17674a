/**
 * The code table (kodtabell): columns A–E × rows 1–20 of 4-digit one-time codes drawn with
 * the CSPRNG. The bank keeps a salted SHA-256 of each code (the letter shows the codes once);
 * a 4-digit code cannot be hidden from someone who steals the database and the salt, so the
 * hash only keeps the codes out of plain sight. Codes are asked in random order (CSPRNG),
 * only among those never used; a code is used up by a conditional UPDATE, so two calls
 * cannot both use one.
 */
import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { type BankContext, newId, sha256Hex } from '../context.ts';
import { bankError } from '../errors.ts';

export const COLUMNS = ['A', 'B', 'C', 'D', 'E'] as const;
export const ROWS = 20;

export interface IssuedCodeTable {
  tableId: string;
  issuedAt: number;
  /** "A1" → "4821": shown once, in the letter. */
  codes: Record<string, string>;
}

const cellHash = (salt: string, cell: string, code: string): string => sha256Hex(`${salt}:${cell}:${code}`);

export const allCells = (): string[] => COLUMNS.flatMap((c) => Array.from({ length: ROWS }, (_, i) => `${c}${i + 1}`));

/** A new code table for the customer; the one before is replaced (its codes stop working). */
export async function issueCodeTable(ctx: BankContext, customerId: string): Promise<IssuedCodeTable> {
  const tableId = newId();
  const salt = randomBytes(16).toString('base64');
  const now = ctx.config.now();
  const codes: Record<string, string> = {};
  for (const cell of allCells()) codes[cell] = String(randomInt(0, 10_000)).padStart(4, '0');
  await ctx.db.transaction(async (tx) => {
    const [customer] = await tx.query('SELECT id FROM customers WHERE id = ? FOR UPDATE', [customerId]);
    if (!customer) throw bankError('CUSTOMER_UNKNOWN', 'There is no such customer.');
    await tx.run("UPDATE phone_code_tables SET state = 'replaced' WHERE customer_id = ? AND state = 'active'", [customerId]);
    await tx.run("INSERT INTO phone_code_tables (id, customer_id, salt, state, issued_at) VALUES (?, ?, ?, 'active', ?)", [tableId, customerId, salt, now]);
    for (const [cell, code] of Object.entries(codes)) {
      await tx.run('INSERT INTO phone_code_cells (table_id, cell, code_hash) VALUES (?, ?, ?)', [tableId, cell, cellHash(salt, cell, code)]);
    }
  });
  return { tableId, issuedAt: now, codes };
}

async function activeTable(ctx: BankContext, customerId: string): Promise<{ id: string; salt: string } | undefined> {
  const [row] = await ctx.db.query<{ id: string; salt: string }>("SELECT id, salt FROM phone_code_tables WHERE customer_id = ? AND state = 'active'", [customerId]);
  return row;
}

/** A cell never used, at random; 'none' without an active table or with every code used. */
export async function drawCell(ctx: BankContext, customerId: string): Promise<string | 'none'> {
  const table = await activeTable(ctx, customerId);
  if (!table) return 'none';
  const cells = await ctx.db.query<{ cell: string }>('SELECT cell FROM phone_code_cells WHERE table_id = ? AND used_at IS NULL', [table.id]);
  if (cells.length === 0) return 'none';
  return cells[randomInt(0, cells.length)]!.cell;
}

/** Checks the code of `cell` and uses it up: 'ok', 'wrong', or 'used' (by another call meanwhile). */
export async function useCell(ctx: BankContext, customerId: string, cell: string, code: string, callId: string): Promise<'ok' | 'wrong' | 'used'> {
  const table = await activeTable(ctx, customerId);
  if (!table) return 'wrong';
  const [row] = await ctx.db.query<{ code_hash: string; used_at: number | null }>('SELECT code_hash, used_at FROM phone_code_cells WHERE table_id = ? AND cell = ?', [table.id, cell]);
  if (!row) return 'wrong';
  const expected = Buffer.from(row.code_hash, 'hex');
  const actual = Buffer.from(cellHash(table.salt, cell, code), 'hex');
  if (!timingSafeEqual(expected, actual)) return 'wrong';
  const used = await ctx.db.run('UPDATE phone_code_cells SET used_at = ?, used_call_id = ? WHERE table_id = ? AND cell = ? AND used_at IS NULL', [ctx.config.now(), callId, table.id, cell]);
  return used === 1 ? 'ok' : 'used';
}

/** How many codes of the active table are left (for the customer service). */
export async function codesLeft(ctx: BankContext, customerId: string): Promise<number | undefined> {
  const table = await activeTable(ctx, customerId);
  if (!table) return undefined;
  const [row] = await ctx.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM phone_code_cells WHERE table_id = ? AND used_at IS NULL', [table.id]);
  return Number(row!.n);
}

/** The letter the customer gets (Swedish): who, when, how the codes are used, and the grid. */
export function codeTableLetter(table: IssuedCodeTable, customer: { name: string; personnummer: string }): string[] {
  const date = new Date(table.issuedAt).toISOString().slice(0, 10);
  const header = `       ${COLUMNS.map((c) => ` ${c}  `).join('  ')}`;
  const rows = Array.from({ length: ROWS }, (_, i) => `  ${String(i + 1).padStart(2)}   ${COLUMNS.map((c) => table.codes[`${c}${i + 1}`]).join('  ')}`);
  return [
    'S-Banken',
    '',
    `${customer.name}`,
    `Personnummer ${customer.personnummer}`,
    '',
    'Din kodtabell för webbanken och telefontjänsten',
    `Utfärdad ${date}, kodtabell ${table.tableId}`,
    '',
    'Kodtabellen innehåller engångskoder som efterfrågas i slumpmässig ordning. Om vi ber dig',
    '"Ange koden B 10" ska du ange koden i kolumn B på rad 10. Varje kod används bara en gång.',
    'En ny kodtabell ersätter den tidigare; koderna i den gamla slutar gälla.',
    '',
    header,
    ...rows,
    '',
    'Webbankskoderna är personliga. Låt ingen annan använda dem, inte ens din make/maka eller en',
    'familjemedlem. Förvara kodtabellen omsorgsfullt och alltid separat från användarkoden och',
    'lösenordet. Spara inte koderna på datorn, mobilen eller någon annan enhet du använder.',
    'S-Banken ber dig aldrig uppge dina webbankskoder per sms, e-post eller telefon.',
  ];
}
