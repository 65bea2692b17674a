/**
 * The e-kort terms a holder reads and accepts before a card is connected. The accepted
 * version is kept with the card; a new version here means cards must be connected again.
 * Wording after the bank's own description of e-kort and its card terms (Swedish first).
 */
import type { Terms } from './api/schemas.ts';

export const TERMS: Terms = {
  version: '2026-11',
  title: 'Villkor för e-kort',
  text: [
    'När du betalar med e-kort på internet visar du aldrig ditt vanliga kortnummer. För varje köp skapar du ett unikt kortnummer, ett e-nummer. Det är endast bankens säkerhetssystem som kan koppla ihop ditt e-nummer med ditt ordinarie kort.',
    'Ett e-nummer fungerar endast hos det försäljningsställe det skapades för. Det gäller i en månad, eller för flergångsköp (till exempel en prenumeration) mellan 1 och 24 månader som du själv väljer. När giltighetstiden har gått ut försvinner kopplingen till ditt ordinarie kort.',
    'Köp med e-nummer dras från det kort e-numret är kopplat till och omfattas av villkoren för det kortet: bankens belopps­gränser per köp och per period gäller, och när kortet spärras slutar också alla dess e-nummer att fungera.',
    'Du loggar in till e-kort med bankens säkra metoder för identifiering: BankID på kort, BankID på fil, säkerhetsdosa eller Mobilt BankID. Lämna aldrig ut din PIN-kod eller dina koder till någon.',
    'Spärra kortet genast om du misstänker att någon obehörig känner till ett e-nummer eller dina inloggningsuppgifter. Vid obehöriga köp är din självrisk högst 400 kronor (12 000 kronor vid grov oaktsamhet); reklamera inom 13 månader.',
  ].join('\n\n'),
};
