/** The demo: Anna Andersson, her cards, virtual BankID card and dosa, seeded into a bank. Above bank and virtual. */
export { DEMO_CARDS, DEMO_CUSTOMER, DEMO_DOSA_PIN, DEMO_NETWORK_KEY_NAME, findCustomerId, seedDemo, type DemoSeed, type SeedDemoOptions, type SeedStatus } from './demo.ts';
