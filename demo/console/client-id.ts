// Client ids are made once for the widget and the console (src/client/); this module keeps the console's import path.
export { clientId as newClientId } from '../../src/client/client-id.js';
