/**
 * The renderer's Content-Security-Policy, the same as the meta tag in renderer/index.html:
 * Electron's main process sends it as a header for the app's pages and the browser bridge on
 * every HTML answer. Nothing remote: scripts, styles, images and connections from the app
 * itself only.
 */
export const RENDERER_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
