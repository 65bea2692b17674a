/**
 * The call names: the contract's own list. src/client/api.ts holds only types and this one
 * plain constant, so importing it brings nothing else of src/ into the renderer bundle.
 */
export { API_METHODS as METHODS } from '../../../src/client/api.ts';
