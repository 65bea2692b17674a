import { describe, expect, it } from 'vitest';
import { TERMS } from '../../../src/bank/terms.ts';

describe('the e-kort terms', () => {
  it('name every way to log in that the service offers, by the names the app shows', () => {
    for (const method of ['BankID på kort', 'BankID på fil', 'säkerhetsdosa', 'Mobilt BankID']) expect(TERMS.text, method).toContain(method);
  });

  it('state the seeds\' numbers: validity 1 to 24 months, self-risk at most 400 kronor, claims within 13 months', () => {
    expect(TERMS.text).toContain('mellan 1 och 24 månader');
    expect(TERMS.text).toContain('högst 400 kronor');
    expect(TERMS.text).toContain('inom 13 månader');
  });
});
