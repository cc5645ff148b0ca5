export { CHROMIUM_ARGS, findChromium, launchBrowser } from './chromium.mjs';
