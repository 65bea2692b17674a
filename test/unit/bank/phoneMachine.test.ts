/**
 * The phone menu's pure state machine: every branch of the menu, entries and their formats,
 * and the answers of the bank (outcomes) in each step. No database, no clock.
 */
import { describe, expect, it } from 'vitest';
import { type CallState, MAX_WRONG_ENTRIES_PER_CALL, type Outcome, poll, press, resolve, start, hangup, type Transition } from '../../../src/bank/phone/machine.ts';
import { P, splitCell } from '../../../src/bank/phone/prompts.ts';

/** Presses `keys` one at a time; the last transition and every prompt heard on the way. */
function keys(state: CallState, sequence: string): Transition & { heard: string[] } {
  let t: Transition = { state, prompts: [] };
  const heard: string[] = [];
  for (const k of sequence) {
    if (t.action) throw new Error(`a key pressed while the action ${t.action.type} waits`);
    t = press(t.state, k);
    heard.push(...t.prompts);
  }
  return { ...t, heard };
}

const answer = (t: Transition, outcome: Outcome): Transition => resolve(t.state, outcome);

describe('the phone menu', () => {
  it('starts with the welcome and the menu of 1, 2 and 5', () => {
    const t = start();
    expect(t.state.step).toBe('menu');
    expect(t.prompts).toEqual([P.welcome, P.menu]);
    expect(P.menu).toMatch(/tryck 1.*tryck 2.*tryck 5/);
  });

  it('5: not a customer or not identified goes to the queue for general questions', () => {
    const t = press(start().state, '5');
    expect(t.state).toMatchObject({ step: 'queued', queue: 'general' });
    expect(t.state.identified).toBeUndefined();
    expect(t.prompts).toEqual([P.queuedGeneral]);
    expect(press(t.state, '1').prompts).toEqual([P.inQueue]);
  });

  it('an unknown choice is said and the menu is read again; * repeats it', () => {
    expect(press(start().state, '7').prompts).toEqual([P.invalidChoice, P.menu]);
    expect(press(start().state, '#').prompts).toEqual([P.invalidChoice, P.menu]);
    expect(press(start().state, '*').prompts).toEqual([P.menu]);
  });

  it('refuses keys that no phone has', () => {
    expect(() => press(start().state, 'a')).toThrow(RangeError);
  });

  describe('1: identification with the app', () => {
    it('asks the user code, sends the request, reads out the code, then waits', () => {
      const one = press(start().state, '1');
      expect(one.prompts).toEqual([P.userCode]);
      const t = keys(one.state, '12345678#');
      expect(t.heard).toEqual([]);
      expect(t.action).toEqual({ type: 'appRequest', userCode: '12345678' });
      expect(t.state.buffer).toBe('');
      const sent = answer(t, { type: 'appRequested', customerId: 'c1', requestId: 'r1', code: '0427' });
      expect(sent.state).toMatchObject({ step: 'app.waiting', requestId: 'r1', customerId: 'c1' });
      expect(sent.prompts[0]).toContain('0 4 2 7');
      expect(sent.prompts[0]).toContain('S-Bankens kundtjänst');
      return sent;
    });

    const waiting = (): CallState =>
      answer(keys(press(start().state, '1').state, '12345678#'), { type: 'appRequested', customerId: 'c1', requestId: 'r1', code: '0427' }).state;

    it('a user code of 5 or 9 digits is refused before anything is sent', () => {
      const s = press(start().state, '1').state;
      for (const bad of ['12345#', '123456789#', '#']) {
        const t = keys(s, bad);
        expect(t.action).toBeUndefined();
        expect(t.heard).toEqual([P.userCodeFormat, P.userCode]);
      }
    });

    it('polling while pending says nothing; a key press hears that we still wait', () => {
      const s = waiting();
      const polled = poll(s);
      expect(polled.action).toEqual({ type: 'appStatus', requestId: 'r1', customerId: 'c1', asked: false });
      expect(answer(polled, { type: 'appStatus', status: 'pending', asked: false }).prompts).toEqual([]);
      const pressed = press(s, '#');
      expect(pressed.action).toMatchObject({ type: 'appStatus', asked: true });
      expect(answer(pressed, { type: 'appStatus', status: 'pending', asked: true }).prompts).toEqual([P.appWaiting]);
    });

    it('approved: identified with the app, then the reason for the call', () => {
      const t = answer(poll(waiting()), { type: 'appStatus', status: 'approved', asked: false });
      expect(t.state).toMatchObject({ step: 'reason', identified: { customerId: 'c1', method: 'app' } });
      expect(t.prompts).toEqual([P.identified, P.reasonMenu]);
      const queued = press(t.state, '3');
      expect(queued.state).toMatchObject({ step: 'queued', queue: 'identified', reason: 'payments', identified: { customerId: 'c1' } });
      expect(queued.prompts).toEqual([P.queuedIdentified]);
      expect(press(t.state, '9').prompts).toEqual([P.invalidChoice, P.reasonMenu]);
    });

    it('rejected or expired: the identification failed, back to the menu, nothing kept', () => {
      for (const [status, why] of [
        ['rejected', P.appRejected],
        ['expired', P.appExpired],
      ] as const) {
        const t = answer(poll(waiting()), { type: 'appStatus', status, asked: false });
        expect(t.state.step).toBe('menu');
        expect(t.state.identified).toBeUndefined();
        expect(t.state.customerId).toBeUndefined();
        expect(t.prompts).toEqual([P.failed, why, P.menu]);
      }
    });

    it('locked codes: fails with the advice to visit a branch with a passport or ID card', () => {
      const t = answer(keys(press(start().state, '1').state, '12345678#'), { type: 'locked' });
      expect(t.prompts).toEqual([P.failed, P.locked, P.menu]);
      expect(P.locked).toMatch(/kundtjänstställe.*pass eller ID-kort/);
    });

    it('an unknown user code is said, and after three the call goes back to the menu', () => {
      let s = press(start().state, '1').state;
      for (let i = 1; i < MAX_WRONG_ENTRIES_PER_CALL; i++) {
        const t = answer(keys(s, '99999999#'), { type: 'unknownUser' });
        expect(t.prompts).toEqual([P.unknownUser, P.userCode]);
        s = t.state;
      }
      const last = answer(keys(s, '99999999#'), { type: 'unknownUser' });
      expect(last.state.step).toBe('menu');
      expect(last.prompts).toEqual([P.unknownUser, P.tooManyTries, P.failed, P.menu]);
    });
  });

  describe('2: identification with the code table', () => {
    const toPassword = () => keys(press(start().state, '2').state, '12345678#');
    const toCell = () => {
      const checked = keys(toPassword().state, '4711#');
      const ok = answer(checked, { type: 'passwordOk', customerId: 'c1' });
      expect(ok.action).toEqual({ type: 'drawCell', customerId: 'c1' });
      return answer(ok, { type: 'cellDrawn', cell: 'B10' });
    };
    const toSms = () => {
      const cell = keys(toCell().state, '1234#');
      const ok = answer(cell, { type: 'cellOk' });
      expect(ok.action).toEqual({ type: 'sendSms', customerId: 'c1' });
      return answer(ok, { type: 'smsSent', hash: 'h', expiresAt: 1000 });
    };

    it('asks user code, password, the cell ("B 10"), then the SMS code, and identifies', () => {
      const pw = toPassword();
      expect(pw.heard).toEqual([P.password]);
      expect(pw.prompts).toEqual([P.password]);
      expect(pw.state).toMatchObject({ step: 'table.password', userCode: '12345678', buffer: '' });
      const checked = keys(pw.state, '4711#');
      expect(checked.action).toEqual({ type: 'verifyPassword', userCode: '12345678', password: '4711' });
      expect(checked.state.buffer).toBe('');
      const cell = toCell();
      expect(cell.state).toMatchObject({ step: 'table.cell', cell: 'B10', customerId: 'c1' });
      expect(cell.prompts).toEqual([P.cell('B10')]);
      expect(P.cell('B10')).toContain('Ange koden B 10');
      expect(keys(cell.state, '1234#').action).toEqual({ type: 'verifyCell', customerId: 'c1', cell: 'B10', code: '1234' });
      const sms = toSms();
      expect(sms.state).toMatchObject({ step: 'table.sms', sms: { hash: 'h', expiresAt: 1000 } });
      expect(sms.prompts).toEqual([P.smsSent]);
      const entered = keys(sms.state, '123456#');
      expect(entered.action).toEqual({ type: 'verifySms', customerId: 'c1', code: '123456', sms: { hash: 'h', expiresAt: 1000 } });
      const done = answer(entered, { type: 'smsOk' });
      expect(done.state).toMatchObject({ step: 'reason', identified: { customerId: 'c1', method: 'codetable' } });
      expect(done.state.sms).toBeUndefined();
      expect(done.prompts).toEqual([P.identified, P.reasonMenu]);
    });

    it('checks the format of each entry before asking the bank', () => {
      expect(keys(toPassword().state, '123#').heard).toEqual([P.passwordFormat, P.password]);
      expect(keys(toPassword().state, '1234567#').heard).toEqual([P.passwordFormat, P.password]);
      expect(keys(toCell().state, '123#').heard).toEqual([P.cellFormat, P.cell('B10')]);
      expect(keys(toSms().state, '12345#').heard).toEqual([P.smsFormat, P.smsSent]);
    });

    it('* clears what was typed and asks again; a runaway entry is cut', () => {
      const t = keys(toPassword().state, '99*');
      expect(t.state.buffer).toBe('');
      expect(t.heard).toEqual([P.password]);
      const long = keys(toPassword().state, '1'.repeat(17));
      expect(long.heard).toEqual([P.tooLong, P.password]);
      expect(long.state.buffer).toBe('');
    });

    it('a wrong user code or password asks again from the user code, the same words for both', () => {
      for (const outcome of [{ type: 'wrong' }, { type: 'unknownUser' }] as const) {
        const t = answer(keys(toPassword().state, '4711#'), outcome);
        expect(t.state.step).toBe('table.userCode');
        expect(t.state.userCode).toBeUndefined();
        expect(t.prompts).toEqual([P.wrongCredentials, P.userCode]);
      }
    });

    it('the first password (not yet changed) is refused with what to do', () => {
      const t = answer(keys(toPassword().state, '010190#'), { type: 'initialPassword' });
      expect(t.state.step).toBe('menu');
      expect(t.prompts).toEqual([P.failed, P.initialPassword, P.menu]);
    });

    it('a wrong cell code asks the same cell again; a cell used meanwhile draws another', () => {
      const wrong = answer(keys(toCell().state, '0000#'), { type: 'wrong' });
      expect(wrong.state).toMatchObject({ step: 'table.cell', cell: 'B10' });
      expect(wrong.prompts).toEqual([P.wrongCell, P.cell('B10')]);
      const used = answer(keys(toCell().state, '1234#'), { type: 'cellUsed' });
      expect(used.prompts).toEqual([P.cellUsed]);
      expect(used.action).toEqual({ type: 'drawCell', customerId: 'c1' });
      const next = answer(used, { type: 'cellDrawn', cell: 'D3' });
      expect(next.prompts).toEqual([P.cell('D3')]);
    });

    it('a wrong SMS code may be typed again; an expired one ends the attempt', () => {
      const wrong = answer(keys(toSms().state, '000000#'), { type: 'wrong' });
      expect(wrong.state.step).toBe('table.sms');
      expect(wrong.prompts).toEqual([P.wrongSms, P.smsSent]);
      const expired = answer(keys(toSms().state, '123456#'), { type: 'smsExpired' });
      expect(expired.state.step).toBe('menu');
      expect(expired.state.sms).toBeUndefined();
      expect(expired.prompts).toEqual([P.failed, P.smsExpired, P.menu]);
    });

    it('locked codes end the attempt at every step with the branch advice', () => {
      const steps: Array<[Transition, Outcome['type']]> = [
        [keys(toPassword().state, '4711#'), 'locked'],
        [keys(toCell().state, '1234#'), 'locked'],
        [keys(toSms().state, '123456#'), 'locked'],
      ];
      for (const [t, type] of steps) {
        const r = answer(t, { type } as Outcome);
        expect(r.state.step).toBe('menu');
        expect(r.prompts).toEqual([P.failed, P.locked, P.menu]);
      }
    });

    it('no code table or no SMS number: the attempt fails with the way out', () => {
      const ok = answer(keys(toPassword().state, '4711#'), { type: 'passwordOk', customerId: 'c1' });
      expect(answer(ok, { type: 'noTable' }).prompts).toEqual([P.failed, P.noTable, P.menu]);
      const cellOk = answer(keys(toCell().state, '1234#'), { type: 'cellOk' });
      expect(answer(cellOk, { type: 'noPhone' }).prompts).toEqual([P.failed, P.noPhone, P.menu]);
    });
  });

  it('hanging up ends the call; keys after it do nothing', () => {
    const t = hangup(start().state);
    expect(t.state.step).toBe('ended');
    expect(t.prompts).toEqual([P.goodbye]);
    expect(press(t.state, '1')).toEqual({ state: t.state, prompts: [] });
  });

  it('an answer that does not fit the step is a programming error', () => {
    expect(() => resolve(start().state, { type: 'smsOk' })).toThrow(/no answer/);
  });

  it('cells are a column A-E and a row', () => {
    expect(splitCell('B10')).toEqual({ column: 'B', row: 10 });
    expect(() => splitCell('10B')).toThrow();
  });
});
