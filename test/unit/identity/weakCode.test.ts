import { describe, expect, it } from 'vitest';
import { weakCodeReason, type WeakCodeReason } from '../../../src/identity/index.ts';

const anna = { personnummer: '199001012385', cardNumbers: ['4571 1234 5678 3961'], phone: '+46701234567' };

const WEAK: Array<[string, WeakCodeReason]> = [
  ['1234', 'sequence'],
  ['123456', 'sequence'],
  ['9876', 'sequence'],
  ['890123', 'sequence'],
  ['0000', 'repeated'],
  ['777777', 'repeated'],
  ['1212', 'pattern'],
  ['123123', 'pattern'],
  ['19900101', 'birth_date'],
  ['900101', 'birth_date'],
  ['010190', 'birth_date'],
  ['0190', 'birth_date'],
  ['1990', 'birth_date'],
  ['2385', 'personnummer'],
  ['3961', 'card_number'],
  ['701234', 'phone_number'],
  ['0701', 'phone_number'],
];

const FINE = ['4711', '246810', '11223344', '24681357', '8042', '531908'];

describe('codes easy to guess (card terms §7b)', () => {
  it.each(WEAK)('%s is refused: %s', (code, reason) => {
    expect(weakCodeReason(code, anna)).toBe(reason);
  });

  it.each(FINE)('%s is accepted', (code) => {
    expect(weakCodeReason(code, anna)).toBeUndefined();
  });

  it('knows a samordningsnummer\'s birth date (day + 60)', () => {
    expect(weakCodeReason('0312', { personnummer: '198512632389' })).toBe('birth_date');
  });

  it('checks runs and repeats without knowing the customer', () => {
    expect(weakCodeReason('4567')).toBe('sequence');
    expect(weakCodeReason('0101')).toBe('pattern');
    expect(weakCodeReason('0312')).toBeUndefined();
  });
});
