/** The client module's one entrance: what other modules may use. */
export { createAgent } from './agent.ts';
export type { Agent } from './agent.ts';
export { API_METHODS } from './api.ts';
export type { AgentEvent, ApiFailure, EkortApi } from './api.ts';
export { RENDERER_CSP } from './csp.ts';
export { IPC_EVENT_CHANNEL, registerIpc, trustedSenderCheck } from './ipcTable.ts';
export { permissionPolicy } from './permissions.ts';
